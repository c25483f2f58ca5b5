from django.apps import AppConfig


class AiopsConfig(AppConfig):
    name = "aiops"
    verbose_name = "Helpdesk AI operations"

    def ready(self) -> None:
        from aiops import signals
        from aiops.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from aiops.selectors import ticket_resolution_documents
        from models_registry.choices import Task
        from training.documents import register_document_source

        signals.connect()
        # Reply suggestion learns from resolved tickets, which this app owns.
        register_document_source(Task.SUGGESTION, ticket_resolution_documents)
