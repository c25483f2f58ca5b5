from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from aiops.api.permissions import IsAdmin
from aiops.api.viewsets import TenantAPIView, TenantReadOnlyViewSet
from training import filtersets, selectors, services
from training.api import serializers


class TrainView(TenantAPIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        request=serializers.TrainRequestSerializer,
        responses={202: serializers.TrainingRunSerializer},
    )
    def post(self, request):
        data = serializers.TrainRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.training_run_create(
            organization=self.organization,
            task=data.validated_data["task"],
            params={"estimator": data.validated_data["estimator"]},
            actor=request.user,
        )
        return Response(
            serializers.TrainingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(responses={200: serializers.TrainingRunSerializer(many=True)})
    def get(self, request):
        runs = selectors.training_run_list(organization=self.organization)[:50]
        return Response({"history": serializers.TrainingRunSerializer(runs, many=True).data})


class TrainingRunViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.TrainingRunSerializer
    filterset_class = filtersets.TrainingRunFilterSet

    def scoped_queryset(self, organization):
        return selectors.training_run_list(organization=organization)


class TrainingExampleViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.TrainingExampleSerializer
    filterset_class = filtersets.TrainingExampleFilterSet

    def scoped_queryset(self, organization):
        return selectors.training_example_list(organization=organization).order_by("-id")
