import django_filters

from aiops.models import Classification, SentimentAnalysis, Suggestion, Ticket


class TicketFilterSet(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    category = django_filters.CharFilter(field_name="category__name")

    class Meta:
        model = Ticket
        fields = ["status", "priority", "sentiment", "channel", "customer_ref"]


class OperationFilterSet(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    model_version = django_filters.NumberFilter(field_name="model_version_id")


class ClassificationFilterSet(OperationFilterSet):
    category = django_filters.CharFilter(field_name="category__name")

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
