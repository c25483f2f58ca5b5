from django.contrib import admin, messages
from django.contrib.auth import get_user_model

from aiops import models
from aiops.admin_base import (
    HistoryAdmin,
    OrganizationScopedAdmin,
    ServiceFormAdmin,
    ServiceModelForm,
    console_organization_ids,
)
from aiops.beat_admin import beat_admin_superuser_only
from aiops.choices import Role
from aiops.services import tickets
from aiops.services.console import console_groups_sync
from aiops.services.tenancy import api_token_revoke


@admin.register(models.Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_path = "pk"
    write_roles = (Role.ADMIN,)

    def has_add_permission(self, request):
        return request.user.is_superuser  # a new tenant is not an organization admin's call

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # nor is deleting one, with everyone's data in it

    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]


@admin.register(models.Membership)
class MembershipAdmin(OrganizationScopedAdmin):
    """An organization admin manages its members' roles (new users join through
    `manage.py console_user` / `issue_token`): the user choices are the organization's own
    members, and a role change brings the user's console groups in line."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            ids = console_organization_ids(request, roles=self.write_roles)
            users = get_user_model().objects.order_by("username")
            if ids is not None:
                users = users.filter(memberships__organization__in=ids).distinct()
            kwargs["queryset"] = users
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        console_groups_sync(user=obj.user)

    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        console_groups_sync(user=user)

    def delete_queryset(self, request, queryset):
        users = [membership.user for membership in queryset]
        super().delete_queryset(request, queryset)
        for user in users:
            console_groups_sync(user=user)

    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username"]


@admin.register(models.ApiToken)
class ApiTokenAdmin(OrganizationScopedAdmin):
    organization_path = "membership__organization"
    write_roles = (Role.ADMIN,)
    list_display = ["prefix", "membership", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["membership__organization"]
    readonly_fields = [
        "membership",
        "prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # tokens are issued by `manage.py issue_token`, which shows the key once

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        queryset = self.writable(request, queryset)
        for token in queryset:
            api_token_revoke(token=token)
            self.log_change(request, token, "Revoked")
        messages.success(request, f"Revoked {queryset.count()} token(s).")


@admin.register(models.Category)
class CategoryAdmin(OrganizationScopedAdmin):
    list_display = ["name", "organization"]
    list_filter = ["organization"]
    search_fields = ["name"]


class TicketForm(ServiceModelForm):
    """Saved by the ticket service (`ticket_create` / `ticket_update`) when it validates."""

    class Meta:
        model = models.Ticket
        fields = ["organization", *tickets.TICKET_FIELDS]

    def save_through_service(self, actor):
        fields = {name: self.cleaned_data[name] for name in tickets.TICKET_FIELDS}
        if self.instance.pk is None:
            return tickets.ticket_create(organization=self.instance.organization, **fields)
        return tickets.ticket_update(ticket=self.instance, **fields)


@admin.register(models.Ticket)
class TicketAdmin(ServiceFormAdmin):
    form = TicketForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "category":
            ids = console_organization_ids(request, roles=self.write_roles)
            categories = models.Category.objects.select_related("organization")
            kwargs["queryset"] = (
                categories if ids is None else categories.filter(organization__in=ids)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    list_display = [
        "id",
        "subject",
        "organization",
        "category",
        "priority",
        "sentiment",
        "status",
        "created_at",
    ]
    list_filter = ["organization", "status", "priority", "sentiment", "channel"]
    search_fields = ["subject", "body", "customer_ref"]
    list_select_related = ["organization", "category"]
    readonly_fields = ["created_at", "updated_at", "resolved_at"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["organization"] if obj is not None else []
        return [*fixed, *self.readonly_fields]


@admin.register(models.Classification)
class ClassificationAdmin(HistoryAdmin):
    list_display = [
        "id",
        "organization",
        "category",
        "confidence",
        "model_version",
        "was_accepted",
        "corrected_category",
        "created_at",
    ]
    list_filter = ["organization", "was_accepted"]
    list_select_related = ["organization", "category", "model_version", "corrected_category"]


@admin.register(models.Suggestion)
class SuggestionAdmin(HistoryAdmin):
    list_display = [
        "id",
        "organization",
        "confidence",
        "model_version",
        "was_used",
        "was_helpful",
        "created_at",
    ]
    list_filter = ["organization", "was_used", "was_helpful"]
    list_select_related = ["organization", "model_version"]


@admin.register(models.SentimentAnalysis)
class SentimentAnalysisAdmin(HistoryAdmin):
    list_display = [
        "id",
        "organization",
        "sentiment",
        "confidence",
        "model_version",
        "was_accepted",
        "created_at",
    ]
    list_filter = ["organization", "sentiment", "was_accepted"]
    list_select_related = ["organization", "model_version"]


# Periodic tasks (django-celery-beat, registered before this app) are global: superusers only.
beat_admin_superuser_only()
