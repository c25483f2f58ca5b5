from django.urls import path

from metrics.api import views

urlpatterns = [
    path("ai/metrics", views.MetricsView.as_view(), name="ai-metrics"),
]
