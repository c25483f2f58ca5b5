from rest_framework.permissions import BasePermission

from aiops.choices import ROLE_RANK, Role
from aiops.models import ApiToken


class IsMember(BasePermission):
    """Any valid token: the membership's organization scopes every query."""

    min_role = Role.AGENT
    message = "This action needs a token with a higher role."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return False
        rank = ROLE_RANK.get(token.membership.role)
        return rank is not None and rank >= ROLE_RANK[self.min_role]


class IsReviewer(IsMember):
    min_role = Role.REVIEWER
    message = "This action needs a reviewer or admin token."


class IsAdmin(IsMember):
    min_role = Role.ADMIN
    message = "This action needs an admin token."


class ReadMemberWriteAdmin(IsMember):
    """Reads for every member, writes for admins."""

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return super().has_permission(request, view)
        return IsAdmin().has_permission(request, view)


class CanReportInferences(BasePermission):
    """Inference logs feed health, guardrails and A/B results: admins and service tokens only."""

    message = "Reporting inference logs needs an admin or service token."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        return isinstance(token, ApiToken) and token.membership.role in (Role.ADMIN, Role.SERVICE)
