"""Console users: `manage.py console_user` makes a staff reviewer or admin of one organization."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from aiops.models import Membership


def login(username: str) -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_a_console_reviewer_reads_the_console_and_reviews_but_changes_nothing_else(org):
    call_command("console_user", org="acme", user="rita", role="reviewer", password="pw-12345")
    membership = Membership.objects.get(user__username="rita")
    assert (membership.organization, membership.role, membership.user.is_staff) == (
        org,
        "reviewer",
        True,
    )
    assert membership.user.check_password("pw-12345") and not membership.user.is_superuser
    rita = login("rita")
    assert rita.get("/admin/training/trainingexample/").status_code == 200
    assert rita.get("/admin/models_registry/modelversion/").status_code == 200
    assert rita.get("/admin/aiops/ticket/add/").status_code == 403
    perms = membership.user.get_all_permissions()
    assert "training.change_trainingexample" in perms
    assert "models_registry.change_modelversion" not in perms
    assert "aiops.change_membership" not in perms


def test_a_console_admin_gets_every_console_permission(org):
    call_command("console_user", org="acme", user="ada", role="admin")
    perms = Membership.objects.get(user__username="ada").user.get_all_permissions()
    assert {"models_registry.change_modelversion", "training.change_retrainpolicy"} <= perms
    assert not any(p.startswith("django_celery_beat.") for p in perms)
    assert login("ada").get("/admin/aiops/ticket/add/").status_code == 200


def test_an_agent_is_not_a_console_role(org):
    with pytest.raises(CommandError):
        call_command("console_user", org="acme", user="al", role="agent")
