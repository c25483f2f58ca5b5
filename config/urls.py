from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from metrics.api.views import prometheus_metrics
from metrics.console import dashboard_view

# Django tries these in order: the busiest requests (classify, feedback) first. The apps'
# paths do not overlap, so the order changes nothing else.
api = [
    path("", include("aiops.api.urls")),
    path("", include("feedback.api.urls")),
    path("", include("models_registry.api.urls")),
    path("", include("training.api.urls")),
    path("", include("metrics.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("metrics", prometheus_metrics, name="prometheus-metrics"),
    path("admin/dashboard/", admin.site.admin_view(dashboard_view), name="console-dashboard"),
    path("admin/", admin.site.urls),
    path("api/", include(api)),
]
