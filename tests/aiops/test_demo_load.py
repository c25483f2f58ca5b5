import pytest
from django.core.management import call_command

from aiops.models import ApiToken, Ticket
from aiops.services.demo import demo_load
from models_registry.models import Deployment, ModelVersion
from training.models import TrainingExample

pytestmark = pytest.mark.django_db


def test_demo_load_is_idempotent_and_deploys_every_task():
    first = demo_load(admin_password="pw-123456", n_tickets=300)
    assert first.tickets_created == 300
    assert len(first.trained) == 4
    counts = (Ticket.objects.count(), TrainingExample.objects.count(), ModelVersion.objects.count())
    second = demo_load(admin_password="other", n_tickets=300)
    assert second.tickets_created == 0 and second.trained == []
    assert (
        Ticket.objects.count(),
        TrainingExample.objects.count(),
        ModelVersion.objects.count(),
    ) == counts
    assert Deployment.objects.filter(status="active").count() == 4
    assert ApiToken.objects.count() == 2 and first.token != second.token
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="admin").check_password("pw-123456")


def test_load_demo_command_prints_token_last(monkeypatch, capsys):
    import aiops.services.demo as demo
    from aiops.demo_data import generate_helpdesk

    monkeypatch.setattr(
        demo,
        "generate_helpdesk",
        lambda *, seed, n_tickets: generate_helpdesk(seed=seed, n_tickets=200),
    )
    call_command("load_demo")
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0] == "Organization 'demo': 200 tickets created this time, 200 in all."
    assert any("Admin login: admin" in line for line in out)
    assert out[-1].startswith("aio_")
