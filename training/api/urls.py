from django.urls import path
from rest_framework.routers import SimpleRouter

from training.api import views

router = SimpleRouter(trailing_slash=False)
router.register("training-runs", views.TrainingRunViewSet, basename="trainingrun")
router.register("training-examples", views.TrainingExampleViewSet, basename="trainingexample")

urlpatterns = [
    path("ai/train", views.TrainView.as_view(), name="ai-train"),
    *router.urls,
]
