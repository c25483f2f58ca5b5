from django.apps import AppConfig


class AiopsConfig(AppConfig):
    name = "aiops"
    verbose_name = "Helpdesk AI operations"

    def ready(self) -> None:
        from aiops import signals
        from aiops.api import schema  # noqa: F401  (registers the OpenAPI auth extension)

        signals.connect()
