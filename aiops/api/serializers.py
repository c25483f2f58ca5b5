from rest_framework import serializers

from aiops.api.fields import IdField
from aiops.api.serializer_base import ModelSerializer, Serializer
from aiops.models import Category, Ticket


class OperationInputSerializer(Serializer):
    ticket_id = IdField(required=False)
    subject = serializers.CharField(required=False, allow_blank=True, max_length=300)
    body = serializers.CharField(required=False, allow_blank=True, max_length=20_000)


class ClassifyInputSerializer(OperationInputSerializer):
    include = serializers.ListField(
        child=serializers.ChoiceField(choices=["priority", "sentiment"]),
        required=False,
        max_length=2,
        help_text="Also answer these tasks, each with its own deployed model.",
    )


class _OperationOut(Serializer):
    operation_id = serializers.IntegerField(source="pk")
    ticket_id = serializers.IntegerField(allow_null=True)
    confidence = serializers.FloatField()
    model_version = serializers.CharField(source="model_version.version")
    processing_time_ms = serializers.FloatField()
    created_at = serializers.DateTimeField()


class ClassificationSerializer(_OperationOut):
    # The predicted label, also when it is no longer a category (no category linked).
    category = serializers.CharField(
        source="inference_log.predicted_label", allow_null=True, default=None
    )
    was_accepted = serializers.BooleanField(allow_null=True)
    corrected_category = serializers.CharField(
        source="corrected_category.name", allow_null=True, default=None
    )


class TaskAnswerSerializer(Serializer):
    label = serializers.CharField()
    confidence = serializers.FloatField()
    model_version = serializers.CharField()
    operation_id = serializers.IntegerField(
        allow_null=True, help_text="The sentiment operation, for feedback; null for priority."
    )


class ClassifyResultSerializer(ClassificationSerializer):
    """The classification; with `include`, also each included task's answer (null when that
    task has no model to answer, the reason in `unavailable`)."""

    priority = TaskAnswerSerializer(required=False, allow_null=True)
    sentiment = TaskAnswerSerializer(required=False, allow_null=True)
    unavailable = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Per included task without an answer, why (e.g. no model deployed).",
    )

    def to_representation(self, instance):
        data = ClassificationSerializer(instance.classification).data
        for task, answer in instance.answers.items():
            data[task] = None if answer is None else TaskAnswerSerializer(answer).data
        data["unavailable"] = instance.unavailable
        return data


class SuggestionSerializer(_OperationOut):
    suggestion = serializers.CharField(source="content")
    suggestion_type = serializers.CharField()
    source_references = serializers.JSONField()
    was_used = serializers.BooleanField(allow_null=True)
    was_helpful = serializers.BooleanField(allow_null=True)


class SentimentSerializer(_OperationOut):
    sentiment = serializers.CharField()
    was_accepted = serializers.BooleanField(allow_null=True)
    corrected_sentiment = serializers.CharField()


class CategorySerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "description", "created_at"]


class TicketSerializer(ModelSerializer):
    category = serializers.SlugRelatedField(
        slug_field="name", queryset=Category.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "body",
            "priority",
            "sentiment",
            "channel",
            "customer_ref",
            "status",
            "category",
            "resolution",
            "created_at",
            "updated_at",
            "resolved_at",
        ]
        read_only_fields = ["created_at", "updated_at", "resolved_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.auth is not None:
            self.fields["category"].queryset = Category.objects.filter(
                organization=request.auth.membership.organization
            )
