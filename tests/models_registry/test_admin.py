"""The registry's admin console: POST-only actions over services, logged; history read-only."""

import pytest
from django.contrib.admin.models import LogEntry

from models_registry import services
from models_registry.models import ABTest, Deployment, DeploymentEvent
from tests.models_registry.support import add_logs, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployed(org):
    v1, v2 = (register(org, v) for v in ("1.0.0", "1.1.0"))
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2)
    return v1, v2


def act(client, model, action, pks):
    return client.post(
        f"/admin/models_registry/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
    )


def test_rollback_action_calls_the_service_and_is_logged(admin_client, admin_user, org, deployed):
    v1, v2 = deployed
    active = Deployment.objects.get(organization=org, status="active")
    admin_client.get(
        "/admin/models_registry/deployment/",
        {"action": "rollback", "_selected_action": str(active.pk)},
    )  # a GET never runs an action
    assert Deployment.objects.get(organization=org, status="active").pk == active.pk
    response = act(admin_client, "deployment", "rollback", [active.pk])
    assert response.status_code == 302
    assert Deployment.objects.get(organization=org, status="active").model_version == v1
    event = DeploymentEvent.objects.get(action="rollback")
    assert event.actor == admin_user and "admin console" in event.reason
    assert LogEntry.objects.filter(object_id=str(active.pk), user=admin_user).exists()


def test_promote_deprecate_and_conclude_actions(admin_client, org, deployed):
    v1, v2 = deployed
    act(admin_client, "modelversion", "promote", [v1.pk])
    assert Deployment.objects.get(organization=org, status="active").model_version == v1
    act(admin_client, "modelversion", "deprecate", [v1.pk])  # serving: refused, not raised
    v1.refresh_from_db()
    assert v1.status == "active"
    ab_test = services.ab_test_start(version_a=v1, version_b=v2)
    act(admin_client, "abtest", "stop", [ab_test.pk])
    assert ABTest.objects.get(pk=ab_test.pk).status == "stopped"
    assert (
        LogEntry.objects.filter(content_type__model="abtest", object_id=str(ab_test.pk)).count()
        == 1
    )


def test_audit_and_ab_tests_are_read_only(admin_client, org, deployed):
    event = DeploymentEvent.objects.first()
    change = admin_client.post(
        f"/admin/models_registry/deploymentevent/{event.pk}/change/", {"reason": "edited"}
    )
    assert change.status_code == 403
    event.refresh_from_db()
    assert event.reason != "edited"
    assert admin_client.get("/admin/models_registry/abtest/add/").status_code == 403
    assert admin_client.get("/admin/models_registry/deploymentevent/").status_code == 200


def test_promoting_a_worse_candidate_in_the_admin_needs_the_forced_action(admin_client, org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=10)
    add_logs(org, v1, correct=9, incorrect=1)
    add_logs(org, v2, correct=5, incorrect=5)
    response = act(admin_client, "modelversion", "promote", [v2.pk])
    assert response.status_code == 302
    assert Deployment.objects.get(organization=org, status="active").candidate_version == v2
    act(admin_client, "modelversion", "promote_forced", [v2.pk])
    assert Deployment.objects.get(organization=org, status="active").model_version == v2
    assert DeploymentEvent.objects.get(action="promote").details["promotion"]["forced"] is True


def test_version_lineage_is_read_only(admin_client, org):
    version = register(org, "1.0.0", estimator="fast")
    url = f"/admin/models_registry/modelversion/{version.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    assert set(form.fields) == {"notes", "tags"}  # a version trained here has no price
    response = admin_client.post(
        url,
        {
            "estimator": "banana",
            "status": "active",
            "dataset_hash": "x",
            "input_price_per_1k": "5",
            "notes": "retrained on March data",
            "tags": "{}",
        },
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.estimator, version.status, version.dataset_hash) == ("fast", "registered", "")
    assert version.input_price_per_1k == 0 and version.notes == "retrained on March data"
    assert admin_client.get("/admin/models_registry/modelversion/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/models_registry/modelversion/{version.pk}/delete/").status_code
        == 403
    )


def _external(org):
    return register(
        org,
        "1.0.0",
        task="suggestion",
        provider="openai",
        external_model_id="gpt-4o-mini",
        input_price_per_1k="0.15",
        output_price_per_1k="0.6",
    )


def test_a_price_change_goes_through_the_service_with_its_audit_record(
    admin_client, admin_user, org
):
    version = _external(org)
    url = f"/admin/models_registry/modelversion/{version.pk}/change/"
    data = {"notes": "", "tags": "{}", "input_price_per_1k": "0.25", "output_price_per_1k": "0.6"}
    assert admin_client.post(url, data).status_code == 302
    version.refresh_from_db()
    assert str(version.input_price_per_1k) == "0.250000"
    event = DeploymentEvent.objects.get(action="update")
    assert event.to_version == version and event.actor == admin_user
    assert event.details["changes"] == {"input_price_per_1k": ["0.150000", "0.250000"]}
    assert LogEntry.objects.get(object_id=str(version.pk)).change_message  # the admin log too
    admin_client.post(url, data)  # nothing changed: no event
    assert DeploymentEvent.objects.filter(action="update").count() == 1


def test_a_negative_price_is_a_form_error(admin_client, org):
    version = _external(org)
    url = f"/admin/models_registry/modelversion/{version.pk}/change/"
    response = admin_client.post(
        url, {"notes": "", "tags": "{}", "input_price_per_1k": "-1", "output_price_per_1k": "0.6"}
    )
    assert response.status_code == 200
    assert "input_price_per_1k" in response.context["adminform"].form.errors
    bad_tags = admin_client.post(
        url, {"notes": "", "tags": "[1]", "input_price_per_1k": "1", "output_price_per_1k": "0.6"}
    )
    assert bad_tags.status_code == 200 and "tags" in bad_tags.context["adminform"].form.errors
    version.refresh_from_db()
    assert str(version.input_price_per_1k) == "0.150000" and version.tags == {}
    assert not DeploymentEvent.objects.filter(action="update").exists()
    assert not LogEntry.objects.exists()
