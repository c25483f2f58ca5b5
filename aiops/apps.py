from django.apps import AppConfig


class AiopsConfig(AppConfig):
    name = "aiops"
    verbose_name = "Helpdesk AI operations"

    def ready(self) -> None:
        from aiops import signals
        from aiops.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from aiops.choices import Priority, SentimentLabel
        from aiops.selectors import category_names, ticket_resolution_documents
        from models_registry.choices import Task
        from training.documents import register_document_source
        from training.labels import register_label_source

        signals.connect()
        # Reply suggestion learns from resolved tickets, which this app owns; the labels of
        # the classification tasks are this app's vocabulary too.
        register_document_source(Task.SUGGESTION, ticket_resolution_documents)
        register_label_source(Task.CATEGORY, lambda org: category_names(organization=org))
        register_label_source(Task.PRIORITY, lambda org: Priority.values)
        register_label_source(Task.SENTIMENT, lambda org: SentimentLabel.values)
