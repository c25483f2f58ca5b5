"""django-celery-beat's admin pages, for superusers only: periodic tasks are global (one
schedule for every organization), so the console's organization scoping cannot apply."""

from django.contrib import admin
from django_celery_beat import models as beat_models

from aiops.beat import CODE_MARK, REMOVED_MARK

BEAT_MODELS = (
    beat_models.PeriodicTask,
    beat_models.CrontabSchedule,
    beat_models.IntervalSchedule,
    beat_models.SolarSchedule,
    beat_models.ClockedSchedule,
)


class SuperuserOnly:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.display(description="defined in")
def defined_in(obj) -> str:
    description = obj.description or ""
    if description.startswith(CODE_MARK):
        return "code"
    if description.startswith(REMOVED_MARK):
        return "code (removed)"
    return "admin"


def beat_admin_superuser_only(site: admin.AdminSite = admin.site) -> None:
    """Re-register django-celery-beat's model admins as superuser-only (idempotent); the
    periodic task list also says where each task is defined."""
    for model in BEAT_MODELS:
        registered = site._registry.get(model)
        if registered is None or isinstance(registered, SuperuserOnly):
            continue
        base = type(registered)
        attrs = {}
        if model is beat_models.PeriodicTask:
            attrs["list_display"] = (*base.list_display, defined_in)
        site.unregister(model)
        site.register(model, type(f"SuperuserOnly{base.__name__}", (SuperuserOnly, base), attrs))
