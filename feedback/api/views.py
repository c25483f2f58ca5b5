from djangorestframework_camel_case.util import underscoreize
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from aiops.api.viewsets import TenantAPIView
from feedback import selectors, services
from feedback.api import serializers


class FeedbackView(TenantAPIView):
    """POST: one user's feedback on one AI operation. GET: feedback statistics."""

    @extend_schema(
        request=serializers.FeedbackSubmitSerializer,
        responses={
            201: serializers.FeedbackSubmissionSerializer,
            200: serializers.FeedbackSubmissionSerializer,
        },
    )
    def post(self, request):
        data = serializers.FeedbackSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = {k: v for k, v in data.validated_data.items() if v is not None}
        submission = services.feedback_submit(
            organization=self.organization, user=request.user, **given
        )
        return Response(
            serializers.FeedbackSubmissionSerializer(submission).data,
            status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
        )

    @extend_schema(
        parameters=[serializers.FeedbackStatsQuerySerializer],
        responses={200: OpenApiResponse(description="Feedback statistics.")},
    )
    def get(self, request):
        params = serializers.FeedbackStatsQuerySerializer(
            data=underscoreize(request.query_params.dict())
        )
        params.is_valid(raise_exception=True)
        query = selectors.FeedbackStatsQuery(**params.validated_data)
        return Response(selectors.feedback_stats(organization=self.organization, query=query))
