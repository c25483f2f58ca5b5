from django.http import StreamingHttpResponse
from djangorestframework_camel_case.util import underscoreize
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from aiops.api.permissions import IsAdmin, IsReviewer
from aiops.api.viewsets import TenantAPIView, TenantReadOnlyViewSet
from aiops.exceptions import InvalidInput, NotFound
from models_registry.choices import CLASSIFIER_TASKS, Task
from training import filtersets, selectors, services
from training.api import serializers
from training.choices import ExampleSource
from training.tasks import label_noise_detect_task


def _pairs(mapping: dict, key: str) -> list[dict]:
    """A mapping as a list of {key, count}: labels and sources stay as they are in JSON
    (the camelCase renderer would rename dictionary keys)."""
    return [{key: k, "count": v} for k, v in mapping.items()]


class _FormatIsNotARenderer(DefaultContentNegotiation):
    """`?format=` names the export format here (json, csv, openai), not a DRF renderer."""

    class settings:  # noqa: N801 - stands in for api_settings
        URL_FORMAT_OVERRIDE = None


# A queued run, or {task, status: queued} for noise detection (closed, so that a run, which
# has a task and a status too, matches only the first).
TRAIN_ACCEPTED = {
    "oneOf": [
        {"$ref": "#/components/schemas/TrainingRun"},
        {
            "type": "object",
            "properties": {"task": {"type": "string"}, "status": {"enum": ["queued"]}},
            "required": ["task", "status"],
            "additionalProperties": False,
        },
    ]
}


class TrainView(TenantAPIView):
    """POST: train, run the retrain check, or detect label noise (admins).
    GET ?view=history|metrics|quality (reviewers and admins) or ?view=export (admins)."""

    content_negotiation_class = _FormatIsNotARenderer

    def get_permissions(self):
        view = self.request.query_params.get("view", "history")
        if self.request.method == "GET" and view in ("history", "metrics", "quality"):
            return [IsReviewer()]
        return [IsAdmin()]

    @extend_schema(
        request=serializers.TrainRequestSerializer,
        responses={
            202: OpenApiResponse(
                TRAIN_ACCEPTED,
                description="action=train: the queued run; action=detect_noise: the task queued.",
            ),
            200: OpenApiResponse(
                serializers.RetrainCheckSerializer, description="action=check: the decisions."
            ),
        },
    )
    def post(self, request):
        data = serializers.TrainRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        if params["action"] == "check":
            decisions = services.retrain_check_organization(
                organization=self.organization,
                tasks=[params["task"]] if params.get("task") else None,
                force=params["force"],
                actor=request.user,
            )
            body = [d.as_dict() for d in decisions]
            return Response(
                {
                    "decisions": body,
                    "runsQueued": [d["run_id"] for d in body if d["run_id"] is not None],
                }
            )
        task = params.get("task", Task.CATEGORY)
        if params["action"] == "detect_noise":
            if task not in CLASSIFIER_TASKS:
                raise InvalidInput("Noise detection is for classification tasks.")
            label_noise_detect_task.delay(self.organization.pk, task)
            return Response({"task": task, "status": "queued"}, status=status.HTTP_202_ACCEPTED)
        run = services.training_run_create(
            organization=self.organization,
            task=task,
            params={"estimator": params["estimator"]},
            actor=request.user,
            force=params["force"],
        )
        return Response(
            serializers.TrainingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        parameters=[serializers.TrainQuerySerializer, serializers.ExportQuerySerializer],
        responses={
            (200, "application/json"): PolymorphicProxySerializer(
                component_name="TrainViewOrExport",
                serializers=[
                    serializers.TrainViewSerializer,
                    serializers.TrainingExportRowSerializer(many=True),
                ],
                resource_type_field_name=None,
                many=False,
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="view=export&format=csv"
            ),
            (200, "application/jsonl"): OpenApiResponse(
                OpenApiTypes.STR, description="view=export&format=openai: fine-tuning JSONL"
            ),
        },
    )
    def get(self, request):
        query = serializers.TrainQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        view = query.validated_data["view"]
        if view == "export":
            return self._export(request)
        if view == "metrics":
            return Response({"metrics": selectors.training_metrics(organization=self.organization)})
        if view == "quality":
            task = query.validated_data.get("task", Task.CATEGORY)
            quality = selectors.training_data_quality(organization=self.organization, task=task)
            for name, key in (("by_status", "status"), ("by_source", "source")):
                quality[name] = _pairs(quality[name], key)
            quality["label_counts"] = _pairs(quality["label_counts"], "label")
            return Response({"quality": quality})
        runs = selectors.training_run_list(organization=self.organization)[:50]
        return Response({"history": serializers.TrainingRunSerializer(runs, many=True).data})

    def _export(self, request):
        query = serializers.ExportQuerySerializer(data=underscoreize(request.query_params.dict()))
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        export = selectors.training_export(
            organization=self.organization, fmt=params.pop("format"), **params
        )
        response = StreamingHttpResponse(
            (chunk.encode("utf-8") for chunk in export.chunks), content_type=export.content_type
        )
        response["Content-Disposition"] = (
            f'attachment; filename="training-{self.organization.slug}.{export.suffix}"'
        )
        return response


class RetrainPolicyListView(TenantAPIView):
    """The retrain policy of every classification task (saved, or the defaults)."""

    permission_classes = [IsReviewer]

    @extend_schema(responses={200: serializers.RetrainPolicySerializer(many=True)})
    def get(self, request):
        policies = [
            selectors.retrain_policy_get(organization=self.organization, task=task)
            for task in CLASSIFIER_TASKS
        ]
        return Response(serializers.RetrainPolicySerializer(policies, many=True).data)


TASK_PATH = OpenApiParameter(
    "task", str, OpenApiParameter.PATH, enum=[str(task) for task in CLASSIFIER_TASKS]
)


class RetrainPolicyDetailView(TenantAPIView):
    """GET one task's policy (reviewers); PATCH changes it (admins)."""

    def get_permissions(self):
        return [IsReviewer()] if self.request.method == "GET" else [IsAdmin()]

    def _task(self, task: str) -> str:
        if task not in CLASSIFIER_TASKS:
            raise NotFound(f"No retrain policy for task {task}.")
        return task

    @extend_schema(parameters=[TASK_PATH], responses={200: serializers.RetrainPolicySerializer})
    def get(self, request, task: str):
        policy = selectors.retrain_policy_get(organization=self.organization, task=self._task(task))
        return Response(serializers.RetrainPolicySerializer(policy).data)

    @extend_schema(
        parameters=[TASK_PATH],
        request=serializers.RetrainPolicySerializer,
        responses={200: serializers.RetrainPolicySerializer},
    )
    def patch(self, request, task: str):
        task = self._task(task)
        data = serializers.RetrainPolicySerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        policy = services.retrain_policy_update(
            organization=self.organization, task=task, actor=request.user, **data.validated_data
        )
        return Response(serializers.RetrainPolicySerializer(policy).data)


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

    @extend_schema(
        request=serializers.TrainingExampleAddSerializer,
        responses={201: serializers.TrainingExampleSerializer},
    )
    def create(self, request):
        self.check_permissions_for(IsReviewer)
        data = serializers.TrainingExampleAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        example = services.training_example_add(
            organization=self.organization,
            task=params["task"],
            text=params["text"],
            label=params["label"],
            source=ExampleSource.REVIEWER,
            actor=request.user,
            notes=params["notes"],
            approve=params["approve"],
        )
        return Response(
            serializers.TrainingExampleSerializer(example).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=serializers.TrainingExampleReviewSerializer,
        responses={200: serializers.TrainingExampleSerializer(many=True)},
    )
    # Neither paged nor filtered: it answers with the examples it reviewed.
    @action(
        detail=False,
        methods=["post"],
        url_path="review",
        pagination_class=None,
        filter_backends=[],
    )
    def review(self, request):
        self.check_permissions_for(IsReviewer)
        data = serializers.TrainingExampleReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        examples = services.training_examples_review(
            organization=self.organization,
            example_ids=params["ids"],
            decision=params["decision"],
            actor=request.user,
            label=params["label"],
            notes=params["notes"],
        )
        return Response(serializers.TrainingExampleSerializer(examples, many=True).data)

    def check_permissions_for(self, permission_class) -> None:
        permission = permission_class()
        if not permission.has_permission(self.request, self):
            self.permission_denied(self.request, message=permission.message)
