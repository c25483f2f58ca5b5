from rest_framework import serializers

from aiops.api.serializer_base import Serializer
from aiops.choices import SentimentLabel
from feedback.choices import FeedbackValue, OperationType, Period


class FeedbackSubmitSerializer(Serializer):
    """The seed's body: {operationType, operationId, feedback, correctedCategory?, ...}."""

    operation_type = serializers.ChoiceField(choices=OperationType.choices)
    operation_id = serializers.IntegerField(min_value=1)
    feedback = serializers.ChoiceField(choices=FeedbackValue.choices)
    corrected_category = serializers.CharField(required=False, allow_null=True, max_length=100)
    corrected_sentiment = serializers.ChoiceField(
        choices=SentimentLabel.choices, required=False, allow_null=True
    )
    was_used = serializers.BooleanField(required=False, allow_null=True)
    was_helpful = serializers.BooleanField(required=False, allow_null=True)
    comment = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=5000
    )


class FeedbackSerializer(Serializer):
    """One Feedback row. Declared field by field rather than as a ModelSerializer: it is on
    the feedback POST's hot path, and a ModelSerializer introspects the model on every use."""

    feedback_id = serializers.IntegerField(source="pk")
    operation_type = serializers.ChoiceField(choices=OperationType.choices)
    operation_id = serializers.IntegerField()
    feedback = serializers.ChoiceField(choices=FeedbackValue.choices)
    corrected_category = serializers.CharField()
    corrected_sentiment = serializers.ChoiceField(choices=SentimentLabel.choices, allow_blank=True)
    was_used = serializers.BooleanField(allow_null=True)
    was_helpful = serializers.BooleanField(allow_null=True)
    comment = serializers.CharField()
    model_version = serializers.CharField(source="model_version.version")
    arm = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class FeedbackSubmissionSerializer(Serializer):
    feedback = FeedbackSerializer()
    created = serializers.BooleanField()
    # The training example this feedback votes for is written by the examples sweep, within
    # seconds of the response: true when there is one to write.
    training_example_queued = serializers.BooleanField()


class FeedbackStatsQuerySerializer(Serializer):
    period = serializers.ChoiceField(choices=Period.choices, default=Period.DAY)
    operation_type = serializers.ChoiceField(choices=OperationType.choices, required=False)
    model_version = serializers.CharField(required=False, max_length=32)
    created_after = serializers.DateTimeField(
        required=False, input_formats=["iso-8601", "%Y-%m-%d"]
    )
    created_before = serializers.DateTimeField(
        required=False, input_formats=["iso-8601", "%Y-%m-%d"]
    )
