from rest_framework.routers import SimpleRouter

from models_registry.api import views

router = SimpleRouter(trailing_slash=False)
router.register("model-versions", views.ModelVersionViewSet, basename="modelversion")
router.register("deployments", views.DeploymentViewSet, basename="deployment")
router.register("inference-logs", views.InferenceLogViewSet, basename="inferencelog")

urlpatterns = [*router.urls]
