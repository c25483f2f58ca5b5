"""Console (admin) users: a staff login for an organization's reviewer or admin, with the
model permissions of a console group. What they see is scoped to their organizations by
`aiops.admin_base`; the group decides what they may open and change at all."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from aiops.choices import Role
from aiops.models import Membership, Organization
from aiops.services.tenancy import membership_ensure

CONSOLE_APPS = ["aiops", "models_registry", "training", "feedback", "metrics"]
GROUPS = {Role.REVIEWER: "Console reviewers", Role.ADMIN: "Console admins"}
# A reviewer reads the console and reviews training data; an admin changes what the console
# lets anyone change (the POST actions check the admin role per organization as well).
REVIEWER_CHANGES = {("training", "change_trainingexample")}


def console_group(*, role: str) -> Group:
    """The group of `role` with its permissions (kept in step with the code on every call)."""
    group, _ = Group.objects.get_or_create(name=GROUPS[role])
    permissions = Permission.objects.filter(content_type__app_label__in=CONSOLE_APPS)
    if role == Role.REVIEWER:
        permissions = [
            p
            for p in permissions.select_related("content_type")
            if p.codename.startswith("view_")
            or (p.content_type.app_label, p.codename) in REVIEWER_CHANGES
        ]
    group.permissions.set(permissions)
    return group


def console_groups_sync(*, user) -> None:
    """The user's console group follows their highest console role over all their
    memberships (none: no console group), so a demoted admin loses the admin permissions."""
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    wanted = next((role for role in (Role.ADMIN, Role.REVIEWER) if role in roles), None)
    for role, name in GROUPS.items():
        if role == wanted:
            user.groups.add(console_group(role=role))
        else:
            user.groups.remove(*Group.objects.filter(name=name))


@transaction.atomic
def console_user_ensure(
    *, organization: Organization, username: str, role: str, password: str | None = None
) -> Membership:
    """Make `username` a staff user with `role` (reviewer or admin) in `organization`."""
    if role not in GROUPS:
        raise ValueError(f"A console user is a reviewer or an admin, not {role!r}.")
    membership = membership_ensure(organization=organization, username=username, role=role)
    user = membership.user
    user.is_staff = True
    if password is not None:
        user.set_password(password)
    user.save()
    console_groups_sync(user=user)
    return membership
