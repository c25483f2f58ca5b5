"""An estimator whose optional extra is not installed is refused when it is asked for (400
naming the extra), not accepted and then failed by the worker. The availability check is
patched: the extra may be installed where the tests run."""

import pytest

from aiops.exceptions import InvalidInput
from models_registry.choices import Task
from training import estimators, services
from training.models import RetrainPolicy, TrainingRun

pytestmark = pytest.mark.django_db

INSTALL = "pip install -r requirements-accurate.txt"


@pytest.fixture
def without_extra(monkeypatch):
    monkeypatch.setattr(estimators, "accurate_available", lambda: False)


@pytest.fixture
def admin(make_client, org):
    return make_client(org, "admin")


def test_train_with_a_missing_extra_is_400_naming_it(org, admin, without_extra):
    response = admin.post(
        "/api/ai/train", {"task": "category", "estimator": "accurate"}, format="json"
    )
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["error"] == "invalid"
    assert INSTALL in body["message"]
    assert INSTALL in body["fields"]["estimator"][0]
    assert not TrainingRun.objects.exists()
    fast = admin.post("/api/ai/train", {"task": "category", "estimator": "fast"}, format="json")
    assert fast.status_code == 202, fast.json()


def test_train_with_the_extra_installed_is_accepted(org, admin, monkeypatch):
    monkeypatch.setattr(estimators, "accurate_available", lambda: True)
    response = admin.post(
        "/api/ai/train", {"task": "category", "estimator": "accurate"}, format="json"
    )
    assert response.status_code == 202, response.json()
    assert TrainingRun.objects.get().params["estimator"] == "accurate"


def test_policy_with_a_missing_extra_is_400_and_unchanged(org, admin, without_extra):
    response = admin.patch(
        "/api/retrain-policies/category", {"estimator": "accurate"}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert INSTALL in response.json()["fields"]["estimator"][0]
    assert not RetrainPolicy.objects.filter(estimator="accurate").exists()
    assert services.retrain_policy_errors({"estimator": "fast"}) == {}


def test_retrain_check_skips_a_policy_whose_extra_went_missing(org, monkeypatch):
    monkeypatch.setattr(estimators, "accurate_available", lambda: True)
    services.retrain_policy_update(organization=org, task="category", estimator="accurate")
    monkeypatch.setattr(estimators, "accurate_available", lambda: False)
    (decision,) = services.retrain_check_organization(
        organization=org, tasks=["category"], force=True, enqueue=False
    )
    assert decision.run is None and INSTALL in decision.skipped
    assert not TrainingRun.objects.exists()


def test_task_messages_name_the_value_not_the_enum(org):
    with pytest.raises(InvalidInput) as refused:
        services.retrain_policy_update(organization=org, task=Task.SUGGESTION)
    assert "not suggestion" in refused.value.message and "Task." not in refused.value.message
