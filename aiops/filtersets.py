from django_filters import CharFilter

from aiops.api.filters import DateTimeFilter, FilterSet, IdFilter
from aiops.models import Classification, SentimentAnalysis, Suggestion, Ticket


class TicketFilterSet(FilterSet):
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")
    category = CharFilter(field_name="category__name")

    class Meta:
        model = Ticket
        fields = ["status", "priority", "sentiment", "channel", "customer_ref"]


class OperationFilterSet(FilterSet):
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")
    ticket = IdFilter(field_name="ticket_id")
    model_version = IdFilter(field_name="model_version_id")


class ClassificationFilterSet(OperationFilterSet):
    category = CharFilter(field_name="category__name")

    class Meta:
        model = Classification
        fields = ["was_accepted"]


class SuggestionFilterSet(OperationFilterSet):
    class Meta:
        model = Suggestion
        fields = ["was_used", "was_helpful"]


class SentimentFilterSet(OperationFilterSet):
    class Meta:
        model = SentimentAnalysis
        fields = ["sentiment", "was_accepted"]
