from rest_framework import serializers

from aiops.api.serializer_base import ModelSerializer, Serializer
from models_registry.choices import DeploymentStrategy, Task
from models_registry.models import ABTest, Deployment, DeploymentEvent, InferenceLog, ModelVersion


class ModelVersionSerializer(ModelSerializer):
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


class DeploymentSerializer(ModelSerializer):
    model_version = serializers.CharField(source="model_version.version")
    candidate_version = serializers.CharField(
        source="candidate_version.version", allow_null=True, default=None
    )
    next_step_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Deployment
        fields = [
            "id",
            "task",
            "strategy",
            "model_version",
            "candidate_version",
            "candidate_percentage",
            "rollout_steps",
            "rollout_step_minutes",
            "next_step_at",
            "status",
            "previous",
            "reason",
            "created_at",
            "ended_at",
        ]


class InferenceLogSerializer(ModelSerializer):
    model_version = serializers.CharField(source="model_version.version")

    class Meta:
        model = InferenceLog
        fields = [
            "id",
            "task",
            "model_version",
            "ab_test",
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


class ABTestSerializer(ModelSerializer):
    version_a = serializers.CharField(source="version_a.version")
    version_b = serializers.CharField(source="version_b.version")
    winner = serializers.CharField(source="winner.version", allow_null=True, default=None)

    class Meta:
        model = ABTest
        fields = [
            "id",
            "task",
            "version_a",
            "version_b",
            "split_percentage",
            "minimum_detectable_effect",
            "baseline_rate",
            "minimum_sample_size",
            "status",
            "winner",
            "verdict",
            "result",
            "created_at",
            "ended_at",
        ]


class DeploymentEventSerializer(ModelSerializer):
    from_version = serializers.CharField(
        source="from_version.version", allow_null=True, default=None
    )
    to_version = serializers.CharField(source="to_version.version", allow_null=True, default=None)
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)

    class Meta:
        model = DeploymentEvent
        fields = [
            "id",
            "task",
            "action",
            "from_version",
            "to_version",
            "deployment",
            "ab_test",
            "actor",
            "reason",
            "details",
            "created_at",
        ]


class _AliasedInput(Serializer):
    """Accepts a few alternative key spellings (after camelCase → snake_case parsing)."""

    aliases: dict[str, str] = {}

    def to_internal_value(self, data):
        data = dict(data.items()) if hasattr(data, "items") else data
        if isinstance(data, dict):
            for alias, name in self.aliases.items():
                if alias in data and name not in data:
                    data[name] = data.pop(alias)
        return super().to_internal_value(data)


MODEL_ACTIONS = [
    "register",
    "deploy",
    "promote",
    "deprecate",
    "archive",
    "rollback",
    "ab-test",
    "conclude-ab-test",
    "stop-ab-test",
    "shadow",
    "end-shadow",
]


class ModelActionSerializer(_AliasedInput):
    aliases = {
        "input_price_per1k": "input_price_per_1k",
        "output_price_per1k": "output_price_per_1k",
        "model_id": "external_model_id",
    }

    action = serializers.ChoiceField(choices=MODEL_ACTIONS)
    task = serializers.ChoiceField(choices=Task.choices, default=Task.CATEGORY)
    version = serializers.CharField(required=False, max_length=40)
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=300)
    # register
    bump = serializers.ChoiceField(choices=["major", "minor", "patch"], default="minor")
    provider = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
    external_model_id = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=128
    )
    input_price_per_1k = serializers.DecimalField(
        max_digits=10, decimal_places=6, min_value=0, default=0
    )
    output_price_per_1k = serializers.DecimalField(
        max_digits=10, decimal_places=6, min_value=0, default=0
    )
    labels = serializers.ListField(child=serializers.CharField(), required=False)
    metrics = serializers.DictField(required=False)
    tags = serializers.DictField(required=False)
    notes = serializers.CharField(required=False, default="", allow_blank=True)
    # deploy
    strategy = serializers.ChoiceField(choices=DeploymentStrategy.choices, default="full")
    percentage = serializers.FloatField(required=False)
    steps = serializers.ListField(
        child=serializers.FloatField(min_value=0, max_value=100), required=False, max_length=20
    )
    step_minutes = serializers.IntegerField(required=False, min_value=1, max_value=525_600)
    # A/B tests
    version_a = serializers.CharField(required=False, max_length=40)
    version_b = serializers.CharField(required=False, max_length=40)
    split_percentage = serializers.FloatField(default=50)
    minimum_detectable_effect = serializers.FloatField(default=0.05)
    ab_test_id = serializers.IntegerField(required=False, min_value=1)
    winner = serializers.ChoiceField(choices=["A", "B"], required=False)
    # promote, conclude-ab-test: go ahead although the candidate measured less accurate
    force = serializers.BooleanField(default=False)

    def validate(self, attrs):
        needs = {
            "deploy": ["version"],
            "deprecate": ["version"],
            "archive": ["version"],
            "shadow": ["version"],
            "ab-test": ["version_a", "version_b"],
        }.get(attrs["action"], [])
        missing = {name: ["Required for this action."] for name in needs if name not in attrs}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class ModelQuerySerializer(Serializer):
    view = serializers.ChoiceField(
        choices=["list", "active", "compare", "health", "ab-results", "shadow-results"],
        default="list",
    )
    task = serializers.ChoiceField(choices=Task.choices, required=False)
    version = serializers.CharField(required=False, max_length=40)
    version_a = serializers.CharField(required=False, max_length=40)
    version_b = serializers.CharField(required=False, max_length=40)
    ab_test_id = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        if attrs["view"] == "compare":
            missing = {
                n: ["Required to compare."] for n in ("version_a", "version_b") if n not in attrs
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class InferenceLogInputSerializer(_AliasedInput):
    """The seed's logInference: an inference of an external (or any) registered version."""

    aliases = {
        "latency": "latency_ms",
        "input_tokens": "tokens_in",
        "output_tokens": "tokens_out",
    }

    version = serializers.CharField(max_length=40)
    task = serializers.ChoiceField(choices=Task.choices, default=Task.CATEGORY)
    latency_ms = serializers.FloatField(min_value=0)
    tokens_in = serializers.IntegerField(min_value=0, default=0)
    tokens_out = serializers.IntegerField(min_value=0, default=0)
    success = serializers.BooleanField(required=False, allow_null=True, default=None)
    error = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)
    confidence = serializers.FloatField(
        required=False, allow_null=True, min_value=0, max_value=1, default=None
    )
    predicted_label = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=200
    )
    unit_id = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
