"""The tenant-scoped base every resource endpoint uses: the token's organization scopes all."""

from django.http import Http404
from rest_framework import viewsets
from rest_framework.views import APIView

from aiops.api.permissions import IsMember
from aiops.models import organization_id_of
from aiops.sql import get_one


def request_organization(request):
    return request.auth.membership.organization


class TenantAPIView(APIView):
    permission_classes = [IsMember]

    @property
    def organization(self):
        return request_organization(self.request)


class TenantViewSetMixin:
    # Subclasses implement `scoped_queryset(organization)`; nothing else is ever visible.
    # (A comment, not a docstring: drf-spectacular would show it on every viewset's operation.)

    permission_classes = [IsMember]
    # Set where `scoped_queryset` is this model filtered by organization and nothing else
    # (no joins, no other filters): an object's URL then reads its row with one statement
    # built once (aiops.sql.get_one) instead of compiling the queryset on every request.
    detail_model = None

    @property
    def organization(self):
        return request_organization(self.request)

    def get_object(self):
        if self.detail_model is None or getattr(self, "swagger_fake_view", False):
            return super().get_object()
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        organization_id = organization_id_of(self.organization)
        try:
            instance = get_one(
                self.detail_model, **{self.lookup_field: lookup}, organization_id=organization_id
            )
        except (TypeError, ValueError):  # as DRF's get_object_or_404: not an id, not found
            instance = None
        if instance is None:
            raise Http404
        self.check_object_permissions(self.request, instance)
        return instance

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.scoped_queryset(None).none()
        return self.scoped_queryset(self.organization)

    def scoped_queryset(self, organization):
        raise NotImplementedError

    def filter_queryset(self, queryset):
        # The list's query filters mean nothing on one object's URL: reading, changing or
        # deleting one object builds no filter set (a sixth of a retrieve's time).
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)


class TenantReadOnlyViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
