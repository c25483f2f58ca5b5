from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from aiops import filtersets, selectors
from aiops.api import serializers
from aiops.api.permissions import ReadMemberWriteAdmin
from aiops.api.viewsets import TenantAPIView, TenantReadOnlyViewSet, TenantViewSetMixin
from aiops.models import Category, Classification, SentimentAnalysis, Suggestion
from aiops.services import operations, tickets


class _OperationView(TenantAPIView):
    operation = None
    output = None

    def post(self, request):
        data = serializers.OperationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = operations.operation_input(organization=self.organization, **data.validated_data)
        record = type(self).operation(organization=self.organization, source=source)
        return Response(self.output(record).data, status=status.HTTP_201_CREATED)


@extend_schema(
    request=serializers.ClassifyInputSerializer,
    responses={201: serializers.ClassifyResultSerializer},
)
class ClassifyView(_OperationView):
    output = serializers.ClassificationSerializer

    def post(self, request):
        data = serializers.ClassifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        include = data.validated_data.pop("include", None)
        source = operations.operation_input(organization=self.organization, **data.validated_data)
        if not include:  # the hot path, as the other operations
            record = operations.classify(organization=self.organization, source=source)
            return Response(self.output(record).data, status=status.HTTP_201_CREATED)
        result = operations.classify_including(
            organization=self.organization, source=source, include=include
        )
        return Response(
            serializers.ClassifyResultSerializer(result).data, status=status.HTTP_201_CREATED
        )


@extend_schema(
    request=serializers.OperationInputSerializer, responses={201: serializers.SuggestionSerializer}
)
class SuggestView(_OperationView):
    operation = operations.suggest
    output = serializers.SuggestionSerializer


@extend_schema(
    request=serializers.OperationInputSerializer, responses={201: serializers.SentimentSerializer}
)
class SentimentView(_OperationView):
    operation = operations.analyze_sentiment
    output = serializers.SentimentSerializer


class TicketViewSet(
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.TicketSerializer
    filterset_class = filtersets.TicketFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self, organization):
        return selectors.ticket_list(organization=organization).order_by("-created_at", "-id")

    def perform_create(self, serializer):
        serializer.instance = tickets.ticket_create(
            organization=self.organization, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = tickets.ticket_update(
            ticket=serializer.instance, **serializer.validated_data
        )


class CategoryViewSet(TenantViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.CategorySerializer
    permission_classes = [ReadMemberWriteAdmin]
    filterset_fields = ["name"]
    detail_model = Category

    def scoped_queryset(self, organization):
        return selectors.category_list(organization=organization)

    def perform_create(self, serializer):
        serializer.instance = tickets.category_create(
            organization=self.organization, **serializer.validated_data
        )


class ClassificationViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.ClassificationSerializer
    filterset_class = filtersets.ClassificationFilterSet

    def scoped_queryset(self, organization):
        return (
            Classification.objects.filter(organization=organization)
            .select_related("inference_log", "corrected_category", "model_version")
            .order_by("-created_at", "-id")
        )


class SuggestionViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.SuggestionSerializer
    filterset_class = filtersets.SuggestionFilterSet

    def scoped_queryset(self, organization):
        return (
            Suggestion.objects.filter(organization=organization)
            .select_related("model_version")
            .order_by("-created_at", "-id")
        )


class SentimentViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.SentimentSerializer
    filterset_class = filtersets.SentimentFilterSet

    def scoped_queryset(self, organization):
        return (
            SentimentAnalysis.objects.filter(organization=organization)
            .select_related("model_version")
            .order_by("-created_at", "-id")
        )
