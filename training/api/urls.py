from django.urls import path
from rest_framework.routers import SimpleRouter

from training.api import views

router = SimpleRouter(trailing_slash=False)
router.register("training-runs", views.TrainingRunViewSet, basename="trainingrun")
router.register("training-examples", views.TrainingExampleViewSet, basename="trainingexample")

urlpatterns = [
    path("ai/train", views.TrainView.as_view(), name="ai-train"),
    path("retrain-policies", views.RetrainPolicyListView.as_view(), name="retrain-policies"),
    path(
        "retrain-policies/<str:task>",
        views.RetrainPolicyDetailView.as_view(),
        name="retrain-policy",
    ),
    *router.urls,
]
