from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training data and runs"

    def ready(self):
        from models_registry.artifacts import register_trusted_types
        from training import estimators, retrieval

        register_trusted_types(estimators.SKOPS_TRUSTED_TYPES)
        register_trusted_types(retrieval.SKOPS_TRUSTED_TYPES)
