from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction

from aiops.choices import Role
from aiops.exceptions import DomainError
from aiops.models import Membership, Organization

CONSOLE_ROLES = (Role.REVIEWER, Role.ADMIN)


def console_organization_ids(request, *, roles=CONSOLE_ROLES) -> set[int] | None:
    """The organizations whose data this admin user sees and acts on: those where they are a
    member with one of `roles` (reviewers and admins; an agent's membership gives nothing).
    None means every organization: a superuser. Cached on the request."""
    user = request.user
    if user.is_superuser:
        return None
    cache = request.__dict__.setdefault("console_organization_ids", {})
    key = tuple(sorted(roles))
    if key not in cache:
        cache[key] = set(
            Membership.objects.filter(user=user, role__in=roles).values_list(
                "organization_id", flat=True
            )
        )
    return cache[key]


def console_check(request, organization_id: int, *, roles=CONSOLE_ROLES) -> None:
    """Raise PermissionDenied (403) unless the user may act on that organization in one of
    `roles` (model operations need Role.ADMIN; review needs a reviewer or an admin)."""
    ids = console_organization_ids(request, roles=roles)
    if ids is not None and organization_id not in ids:
        raise PermissionDenied("Not a member of this organization with the needed role.")


def console_organizations(request, *, roles=CONSOLE_ROLES):
    """The Organization rows of `console_organization_ids`, for choices and filters."""
    ids = console_organization_ids(request, roles=roles)
    rows = Organization.objects.order_by("slug")
    return rows if ids is None else rows.filter(pk__in=ids)


class OrganizationListFilter(admin.SimpleListFilter):
    """The organization filter, offering only the organizations the user may see."""

    title = "organization"
    parameter_name = "organization"

    def __init__(self, request, params, model, model_admin):
        self.path = model_admin.organization_path
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [(str(org.pk), org.slug) for org in console_organizations(request)]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(**{self.path: value}) if value and value.isdecimal() else queryset


class OrganizationScopedAdmin(admin.ModelAdmin):
    """Staff see and act on only their organizations' rows (superusers see all): the list,
    the change pages, the actions (they act on the filtered queryset) and the organization
    choices of a form. `organization_path` is the lookup from the row to its organization."""

    organization_path = "organization"
    # The roles a staff user needs in the row's organization to change, add or delete it, or
    # to run an action on it (seeing it needs a reviewer or admin membership). Admin by
    # default: model permissions are global (a group), so this per-organization check is what
    # keeps an admin of one organization from writing to another where they only review.
    # Reviewing training data opts in to reviewers.
    write_roles = (Role.ADMIN,)

    def organization_id_of(self, obj) -> int:
        *hops, last = self.organization_path.split("__")
        for hop in hops:
            obj = getattr(obj, hop)
        return obj.pk if last == "pk" else getattr(obj, f"{last}_id")

    def may_write(self, request, obj=None) -> bool:
        ids = console_organization_ids(request, roles=self.write_roles)
        if ids is None:
            return True
        return bool(ids) if obj is None else self.organization_id_of(obj) in ids

    def writable(self, request, queryset):
        """The rows of `queryset` the user may change (an action's selection, say)."""
        ids = console_organization_ids(request, roles=self.write_roles)
        return (
            queryset if ids is None else queryset.filter(**{f"{self.organization_path}__in": ids})
        )

    def has_operate_permission(self, request) -> bool:
        """For actions declared with permissions=["operate"]: the user may write somewhere
        (each action then acts only on `writable(request, queryset)`)."""
        return self.may_write(request)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self.may_write(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.may_write(request, obj)

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        ids = console_organization_ids(request)
        return rows if ids is None else rows.filter(**{f"{self.organization_path}__in": ids})

    def get_list_filter(self, request):
        return [
            OrganizationListFilter if name == self.organization_path else name
            for name in super().get_list_filter(request)
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Organization:
            kwargs["queryset"] = console_organizations(request, roles=self.write_roles)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HistoryAdmin(OrganizationScopedAdmin):
    """History is read-only in the console: no add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceModelForm(forms.ModelForm):
    """An admin form whose save is a service call, made while the form validates: what the
    service refuses (a DomainError) becomes form errors, never a 500 from `save_model`.

    Subclasses implement `save_through_service(actor)` and return the saved object. The
    admin's change view runs in one transaction, which a later failure rolls back; use it
    only in admins without inlines (their formsets validate after the form)."""

    actor = None  # the request's user, set by ServiceFormAdmin.get_form

    def save_through_service(self, actor):
        raise NotImplementedError

    def _post_clean(self):
        # After the model's own validation (as django.contrib.auth's UserCreationForm does).
        super()._post_clean()
        if self._errors or (self.instance.pk is not None and not self.has_changed()):
            return
        try:
            with transaction.atomic():
                self.instance = self.save_through_service(self.actor)
        except DomainError as error:
            self._add_domain_error(error)

    def _add_domain_error(self, error: DomainError) -> None:
        self.add_error(None, error.message)
        for name, messages in error.fields.items():
            if name in self.fields:
                self.add_error(name, messages if isinstance(messages, list) else [messages])


class ServiceFormAdmin(OrganizationScopedAdmin):
    """A ModelAdmin whose form is a ServiceModelForm: the form saves through the service when
    it validates, so `save_model` has nothing left to do; the admin log records it as usual."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # a class made for this request by modelform_factory
        return form

    def save_model(self, request, obj, form, change):
        pass  # saved by the service in form validation
