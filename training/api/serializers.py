from rest_framework import serializers

from models_registry.choices import Task
from training import estimators
from training.models import TrainingExample, TrainingRun


class TrainRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["train"], default="train")
    task = serializers.ChoiceField(choices=Task.choices, default=Task.CATEGORY)
    estimator = serializers.ChoiceField(choices=list(estimators.PROFILES), default="fast")


class TrainingRunSerializer(serializers.ModelSerializer):
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
            "duration_s",
            "model_version",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class TrainingExampleSerializer(serializers.ModelSerializer):
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
            "reviewed_at",
            "review_notes",
            "operation_type",
            "operation_id",
            "created_at",
            "updated_at",
        ]
