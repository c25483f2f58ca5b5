from rest_framework import serializers

from models_registry.models import Deployment, InferenceLog, ModelVersion


class ModelVersionSerializer(serializers.ModelSerializer):
    version = serializers.CharField(read_only=True)

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "task",
            "version",
            "status",
            "kind",
            "estimator",
            "provider",
            "external_model_id",
            "input_price_per_1k",
            "output_price_per_1k",
            "artifact_sha256",
            "labels",
            "metrics",
            "params",
            "dataset_hash",
            "tags",
            "notes",
            "created_at",
        ]


class DeploymentSerializer(serializers.ModelSerializer):
    model_version = serializers.CharField(source="model_version.version")
    candidate_version = serializers.CharField(
        source="candidate_version.version", allow_null=True, default=None
    )

    class Meta:
        model = Deployment
        fields = [
            "id",
            "task",
            "strategy",
            "model_version",
            "candidate_version",
            "candidate_percentage",
            "status",
            "previous",
            "reason",
            "created_at",
            "ended_at",
        ]


class InferenceLogSerializer(serializers.ModelSerializer):
    model_version = serializers.CharField(source="model_version.version")

    class Meta:
        model = InferenceLog
        fields = [
            "id",
            "task",
            "model_version",
            "arm",
            "unit_id",
            "predicted_label",
            "confidence",
            "latency_ms",
            "success",
            "error",
            "tokens_in",
            "tokens_out",
            "cost_usd",
            "outcome",
            "true_label",
            "outcome_at",
            "created_at",
        ]
