"""The model version's console page: metrics, lineage, live figures, history, and its
POST-only operations (deploy, roll back, deprecate, A/B start, shadow start / end)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages

from models_registry import services
from models_registry.models import (
    ABTest,
    Deployment,
    DeploymentEvent,
    ModelVersion,
    ShadowDeployment,
)
from tests.models_registry.support import register

pytestmark = pytest.mark.django_db


def page(version) -> str:
    return f"/admin/models_registry/modelversion/{version.pk}/change/"


def action(version, name: str) -> str:
    return f"/admin/models_registry/modelversion/{version.pk}/{name}/"


def shown(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def active(org, task="category") -> Deployment:
    return Deployment.objects.get(organization=org, task=task, status="active")


@pytest.fixture
def versions(trained_org):
    v1 = ModelVersion.objects.get(organization=trained_org, task="category", major=1, minor=0)
    v2 = register(trained_org, "1.1.0", metrics={"accuracy": 0.91, "f1_macro": 0.88})
    return v1, v2


@pytest.fixture
def operator(make_staff, trained_org):
    return make_staff(trained_org, "admin")


def test_the_page_shows_metrics_lineage_live_figures_and_history(operator, trained_org, versions):
    v1, v2 = versions
    log = services.inference_log_record(
        organization=trained_org, model_version=v1, latency_ms=12.0, predicted_label="Billing"
    )
    services.inference_log_record_outcome(inference_log_id=log.pk, correct=True)
    response = operator.get(page(v1))
    assert response.status_code == 200
    html = response.content.decode()
    for hook in ("version-metrics", "version-lineage", "version-live"):
        assert f'id="{hook}"' in html
    console = response.context["console"]
    assert console["metrics"]["rows"][0] == ("accuracy", v1.metrics["accuracy"])
    assert f"{v1.metrics['accuracy']:.4f}".rstrip("0") in html
    assert console["live"]["total_inferences"] == 1 and console["live"]["judged"] == 1
    assert console["health"]["traffic_percentage"] == 100.0
    history = console["deployments"]
    assert [d.model_version for d in history] == [v1] and 'id="deployment-history"' in html
    assert [e.action for e in console["events"]] == ["deploy", "register"]
    assert 'id="audit-trail"' in html and 'data-action="deploy"' in html
    for hook in ("deploy-form", "rollback-form", "deprecate-form", "ab-start-form"):
        assert f'id="{hook}"' in html
    assert 'name="notes"' in html  # the editable form is still there

    newer = operator.get(page(v2)).context["console"]["lineage"]
    assert newer["previous_version"] == v1 and newer["replaced"] is None
    assert newer["training_run_id"] is None


def test_lineage_links_the_training_run_and_dataset_hash(operator, trained_org):
    from training.models import TrainingRun

    run = TrainingRun.objects.get(organization=trained_org, task="suggestion")
    html = operator.get(page(run.model_version)).content.decode()
    assert f"/admin/training/trainingrun/{run.pk}/change/" in html
    assert run.model_version.dataset_hash and run.model_version.dataset_hash in html


def test_deploy_canary_twenty_percent(operator, trained_org, versions):
    v1, v2 = versions
    response = operator.post(action(v2, "deploy"), {"strategy": "canary", "percentage": "20"})
    assert response.status_code == 302 and response["Location"] == page(v2)
    deployment = active(trained_org)
    assert (deployment.strategy, deployment.model_version, deployment.candidate_version) == (
        "canary",
        v1,
        v2,
    )
    assert deployment.candidate_percentage == 20
    entry = LogEntry.objects.get(object_id=str(v2.pk), user=operator.user)
    assert "canary 20%" in entry.change_message
    assert ("success", f"{v2}: Deployed (canary 20%): deployment {deployment.pk}.") in shown(
        response
    )
    event = DeploymentEvent.objects.filter(action="deploy", to_version=v2).get()
    assert event.actor == operator.user and event.reason == "Deployed in the admin console."


def test_deploy_gradual_with_steps(operator, trained_org, versions):
    _, v2 = versions
    operator.post(
        action(v2, "deploy"),
        {"strategy": "gradual", "steps": "10,50,100", "step_minutes": "30", "reason": "slowly"},
    )
    deployment = active(trained_org)
    assert deployment.strategy == "gradual" and deployment.candidate_version == v2
    assert deployment.candidate_percentage == 10
    assert deployment.rollout_steps == [50.0, 100.0] and deployment.rollout_step_minutes == 30
    assert deployment.reason == "slowly"
    html = operator.get(page(v2)).content.decode()
    assert "50.0, 100.0 every 30 min" in html


def test_deploy_full_then_roll_back(operator, trained_org, versions):
    v1, v2 = versions
    operator.post(action(v2, "deploy"), {"strategy": "full", "percentage": ""})
    assert active(trained_org).model_version == v2
    v1.refresh_from_db()
    assert v1.status == "deprecated"
    response = operator.post(action(v2, "rollback"))
    assert response.status_code == 302
    assert active(trained_org).model_version == v1
    assert DeploymentEvent.objects.get(action="rollback").actor == operator.user
    assert LogEntry.objects.filter(object_id=str(v2.pk)).count() == 2
    assert any(
        "Rolled back the category deployment: v1.0.0 serves" in m for _, m in shown(response)
    )


def test_rollback_drops_a_canary(operator, trained_org, versions):
    v1, v2 = versions
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=20)
    operator.post(action(v1, "rollback"))  # from any version page of the task
    deployment = active(trained_org)
    assert deployment.model_version == v1 and deployment.candidate_version is None


def test_deprecate(operator, versions):
    _, v2 = versions
    operator.post(action(v2, "deprecate"), {"reason": "superseded"})
    v2.refresh_from_db()
    assert v2.status == "deprecated"
    event = DeploymentEvent.objects.get(action="deprecate", to_version=v2)
    assert event.reason == "superseded"
    assert LogEntry.objects.get(object_id=str(v2.pk)).change_message == "Deprecated."


def test_ab_start_puts_this_version_against_the_stable_one(operator, trained_org, versions):
    v1, v2 = versions
    response = operator.post(
        action(v2, "ab-start"), {"split_percentage": "30", "minimum_detectable_effect": "0.1"}
    )
    assert response.status_code == 302
    ab_test = ABTest.objects.get(organization=trained_org, status="running")
    assert (ab_test.version_a, ab_test.version_b) == (v1, v2)
    assert (ab_test.split_percentage, ab_test.minimum_detectable_effect) == (30, 0.1)
    assert LogEntry.objects.filter(object_id=str(v2.pk)).exists()
    html = operator.get(page(v2)).content.decode()
    assert f"/admin/models_registry/abtest/{ab_test.pk}/change/" in html


def test_shadow_start_and_end(operator, trained_org, versions):
    _, v2 = versions
    operator.post(action(v2, "shadow-start"), {"percentage": "40"})
    shadow = ShadowDeployment.objects.get(organization=trained_org, task="category")
    assert shadow.active and shadow.percentage == 40 and shadow.model_version == v2
    v2.refresh_from_db()
    assert v2.status == "shadow"
    operator.post(action(v2, "shadow-end"))
    shadow.refresh_from_db()
    v2.refresh_from_db()
    assert not shadow.active and v2.status == "staging"
    assert [e.action for e in DeploymentEvent.objects.filter(action__startswith="shadow")] == [
        "shadow_end",
        "shadow_start",
    ]
    assert LogEntry.objects.filter(object_id=str(v2.pk)).count() == 2


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"strategy": "canary", "percentage": "150"}, "above 0 and below 100"),
        ({"strategy": "canary", "percentage": "100"}, "promote"),
        ({"strategy": "gradual", "steps": "10,5", "step_minutes": "5"}, "Steps must rise"),
        ({"strategy": "gradual", "steps": "ten", "step_minutes": "5"}, "separated by commas"),
        ({"strategy": "canary", "percentage": "20", "steps": "50"}, "only for a gradual"),
        ({"strategy": "sideways"}, "strategy"),
    ],
)
def test_refused_deploys_show_an_error_and_change_nothing(
    operator, trained_org, versions, data, expected
):
    _, v2 = versions
    before = (Deployment.objects.count(), DeploymentEvent.objects.count())
    response = operator.post(action(v2, "deploy"), data)
    assert response.status_code == 302
    errors = [m for level, m in shown(response) if level == "error"]
    assert len(errors) == 1 and expected in errors[0], errors
    assert (Deployment.objects.count(), DeploymentEvent.objects.count()) == before
    v2.refresh_from_db()
    assert v2.status == "registered" and not LogEntry.objects.exists()


def test_an_archived_version_cannot_be_deployed_nor_the_serving_one_deprecated(
    operator, trained_org, versions
):
    v1, v2 = versions
    services.model_version_set_status(version=v2, status="archived")
    response = operator.post(action(v2, "deploy"), {"strategy": "full"})
    assert any("archived" in m for level, m in shown(response) if level == "error")
    assert active(trained_org).model_version == v1
    response = operator.post(action(v1, "deprecate"))
    assert any("serving traffic" in m for level, m in shown(response) if level == "error")
    v1.refresh_from_db()
    assert v1.status == "active" and not LogEntry.objects.exists()
    response = operator.post(action(v1, "shadow-end"))
    assert any("No shadow" in m for level, m in shown(response) if level == "error")


def test_reviewers_cannot_operate_and_other_organizations_see_nothing(
    make_staff, trained_org, other_org, versions
):
    _, v2 = versions
    reviewer = make_staff(trained_org, "reviewer")
    assert 'id="deploy-form"' not in reviewer.get(page(v2)).content.decode()
    stranger = make_staff(other_org, "admin")
    for name in ("deploy", "rollback", "deprecate", "ab-start", "shadow-start", "shadow-end"):
        data = {"strategy": "canary", "percentage": "20"}
        assert reviewer.post(action(v2, name), data).status_code == 403
        assert stranger.post(action(v2, name), data).status_code == 404
    assert stranger.get(page(v2)).status_code == 302  # the admin's "does not exist" redirect
    assert active(trained_org).candidate_version is None
    v2.refresh_from_db()
    assert v2.status == "registered" and not LogEntry.objects.exists()


def test_actions_are_post_only(operator, versions):
    _, v2 = versions
    response = operator.get(action(v2, "deploy"), {"strategy": "full"})
    assert response.status_code == 405
    assert Deployment.objects.filter(model_version=v2).count() == 0
