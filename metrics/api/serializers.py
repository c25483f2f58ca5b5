from rest_framework import serializers

from aiops.api.serializer_base import Serializer
from metrics.selectors import TIMELINE_BUCKET
from models_registry.choices import Task

PERIODS = list(TIMELINE_BUCKET)
DATE_FORMATS = ["iso-8601", "%Y-%m-%d"]


class MetricsQuerySerializer(Serializer):
    period = serializers.ChoiceField(choices=PERIODS, default="day")
    # `from` / `to` in the query: renamed on the way in (both are whole hours, see window_for).
    start = serializers.DateTimeField(required=False, input_formats=DATE_FORMATS)
    end = serializers.DateTimeField(required=False, input_formats=DATE_FORMATS)
    task = serializers.ChoiceField(choices=Task.choices, required=False)
    model_version = serializers.CharField(required=False, max_length=32)
    include_details = serializers.BooleanField(default=False)

    def validate(self, data):
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise serializers.ValidationError({"from": "`from` must be before `to`."})
        if data.get("model_version") and not data.get("task"):
            raise serializers.ValidationError({"task": "`modelVersion` needs its `task`."})
        return data


class MetricsActionSerializer(MetricsQuerySerializer):
    action = serializers.ChoiceField(choices=["recalculate", "export"])
    format = serializers.ChoiceField(choices=["json", "csv"], default="json")

    def validate(self, data):
        data = super().validate(data)
        if data["action"] == "recalculate" and not (data.get("start") and data.get("end")):
            raise serializers.ValidationError({"from": "`recalculate` needs `from` and `to`."})
        return data
