"""The tenant-scoped base every resource endpoint uses: the token's organization scopes all."""

from rest_framework import viewsets
from rest_framework.views import APIView

from aiops.api.permissions import IsMember


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

    @property
    def organization(self):
        return request_organization(self.request)

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
