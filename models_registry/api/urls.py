from django.urls import path
from rest_framework.routers import SimpleRouter

from models_registry.api import views

router = SimpleRouter(trailing_slash=False)
router.register("model-versions", views.ModelVersionViewSet, basename="modelversion")
router.register("deployments", views.DeploymentViewSet, basename="deployment")
router.register("deployment-events", views.DeploymentEventViewSet, basename="deploymentevent")
router.register("ab-tests", views.ABTestViewSet, basename="abtest")
router.register("inference-logs", views.InferenceLogViewSet, basename="inferencelog")

urlpatterns = [
    path("ai/models", views.ModelsView.as_view(), name="ai-models"),
    path("ai/inference-logs", views.InferenceLogCreateView.as_view(), name="ai-inference-logs"),
    *router.urls,
]
