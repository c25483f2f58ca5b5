from django import forms
from django.contrib import admin
from django.db import transaction

from aiops.exceptions import DomainError


class HistoryAdmin(admin.ModelAdmin):
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


class ServiceFormAdmin(admin.ModelAdmin):
    """A ModelAdmin whose form is a ServiceModelForm: the form saves through the service when
    it validates, so `save_model` has nothing left to do; the admin log records it as usual."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # a class made for this request by modelform_factory
        return form

    def save_model(self, request, obj, form, change):
        pass  # saved by the service in form validation
