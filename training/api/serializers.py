from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aiops.api.fields import IdListField
from aiops.api.serializer_base import ModelSerializer, Serializer
from models_registry.choices import CLASSIFIER_TASKS, Task
from training import estimators, exporting
from training.choices import CandidateAction, LabelNoiseAction, ReviewDecision, ValidationStatus
from training.models import RetrainPolicy, TrainingExample, TrainingRun
from training.services.retrain import POLICY_FIELDS


class TrainRequestSerializer(Serializer):
    action = serializers.ChoiceField(choices=["train", "check", "detect_noise"], default="train")
    task = serializers.ChoiceField(choices=Task.choices, required=False)
    estimator = serializers.ChoiceField(choices=list(estimators.PROFILES), default="fast")
    force = serializers.BooleanField(
        default=False,
        help_text="Train even when the snapshot and parameters equal the active version's "
        "(and, with `check`, even when no trigger holds or the policy is disabled).",
    )


class TrainQuerySerializer(Serializer):
    view = serializers.ChoiceField(
        choices=["history", "metrics", "quality", "export"], default="history"
    )
    task = serializers.ChoiceField(choices=Task.choices, required=False)


class ExportQuerySerializer(Serializer):
    format = serializers.ChoiceField(choices=list(exporting.FORMATS), default="json")
    task = serializers.ChoiceField(choices=Task.choices, required=False)
    status = serializers.ChoiceField(
        choices=[*ValidationStatus.values, "all"],
        required=False,
        help_text="Default `approved` (reviewed data) in every format; `all`: every status.",
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=exporting.MAX_EXPORT_ROWS,
        required=False,
        help_text="At most this many examples, the oldest first.",
    )
    min_quality = serializers.FloatField(min_value=0, max_value=1, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    system = serializers.CharField(required=False, max_length=2000)


class RetrainDecisionSerializer(Serializer):
    task = serializers.CharField()
    reasons = serializers.ListField(child=serializers.DictField())
    run_id = serializers.IntegerField(allow_null=True)
    skipped = serializers.CharField(allow_blank=True)


class RetrainCheckSerializer(Serializer):
    """POST /api/ai/train {action: check}: each task's decision and the runs it queued."""

    decisions = RetrainDecisionSerializer(many=True)
    runs_queued = serializers.ListField(child=serializers.IntegerField())


class TrainingRunSerializer(ModelSerializer):
    model_version = serializers.CharField(
        source="model_version.version", allow_null=True, default=None
    )
    run_id = serializers.IntegerField(source="pk", read_only=True)

    class Meta:
        model = TrainingRun
        fields = [
            "run_id",
            "task",
            "trigger",
            "status",
            "progress",
            "dataset_hash",
            "params",
            "metrics",
            "comparison",
            "label_noise",
            "unchanged",
            "duration_s",
            "model_version",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class LabelVotesSerializer(Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()


class VoteSerializer(Serializer):
    voter = serializers.CharField()
    label = serializers.CharField()
    source = serializers.CharField()


class TrainViewSerializer(Serializer):
    """GET /api/ai/train: the one key its `view` asks for."""

    history = TrainingRunSerializer(many=True, required=False, help_text="view=history")
    metrics = serializers.DictField(
        required=False,
        help_text="view=metrics: per task, runs by status and the latest successful run.",
    )
    quality = serializers.DictField(
        required=False,
        help_text="view=quality: counts by status and source, a quality histogram, label "
        "counts and imbalance, suspected label noise.",
    )


class TrainingExportRowSerializer(Serializer):
    """One example of GET /api/ai/train?view=export&format=json (training.exporting)."""

    id = serializers.IntegerField()
    task = serializers.CharField()
    input_text = serializers.CharField()
    expected_output = serializers.CharField()
    source = serializers.CharField()
    quality_score = serializers.FloatField()
    validation_status = serializers.CharField()
    created_at = serializers.DateTimeField()


class TrainingExampleSerializer(ModelSerializer):
    # Lists, not the stored mappings: the camelCase renderer would rename labels and voters
    # used as dictionary keys.
    label_votes = serializers.SerializerMethodField()
    votes = serializers.SerializerMethodField()

    class Meta:
        model = TrainingExample
        fields = [
            "id",
            "task",
            "input_text",
            "expected_output",
            "source",
            "quality_score",
            "quality_parts",
            "validation_status",
            "disputed",
            "label_votes",
            "votes",
            "noise_flag",
            "suggested_label",
            "label_quality",
            "reviewed_at",
            "review_notes",
            "operation_type",
            "operation_id",
            "feedback_id",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(LabelVotesSerializer(many=True))
    def get_label_votes(self, obj) -> list[dict]:
        return [{"label": label, "count": n} for label, n in (obj.label_votes or {}).items()]

    @extend_schema_field(VoteSerializer(many=True))
    def get_votes(self, obj) -> list[dict]:
        return [
            {"voter": voter, "label": vote["label"], "source": vote["source"]}
            for voter, vote in (obj.operation_votes or {}).items()
        ]


class TrainingExampleAddSerializer(Serializer):
    task = serializers.ChoiceField(choices=Task.choices, default=Task.CATEGORY)
    text = serializers.CharField(max_length=20_000)
    label = serializers.CharField(max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    approve = serializers.BooleanField(default=False)


class TrainingExampleReviewSerializer(Serializer):
    ids = IdListField(max_length=1000)
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    label = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class RetrainPolicySerializer(ModelSerializer):
    task = serializers.ChoiceField(choices=[t.value for t in CLASSIFIER_TASKS], read_only=True)
    estimator = serializers.ChoiceField(choices=list(estimators.PROFILES), required=False)
    on_better_candidate = serializers.ChoiceField(choices=CandidateAction.choices, required=False)
    label_noise_action = serializers.ChoiceField(choices=LabelNoiseAction.choices, required=False)
    accuracy_threshold = serializers.FloatField(min_value=0, max_value=1, required=False)
    candidate_percentage = serializers.FloatField(min_value=0.1, max_value=99.9, required=False)
    min_improvement = serializers.FloatField(min_value=-1, max_value=1, required=False)
    saved = serializers.SerializerMethodField()

    class Meta:
        model = RetrainPolicy
        fields = ["task", *POLICY_FIELDS, "saved", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {
            "updated_at": {"allow_null": True},  # a policy never saved has the defaults
            "accuracy_window_hours": {"min_value": 1},
            "interval_hours": {"min_value": 1},
            "min_new_examples": {"min_value": 1},
            "accuracy_min_samples": {"min_value": 1},
        }

    def get_saved(self, obj) -> bool:
        return obj.pk is not None
