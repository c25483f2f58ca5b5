"""Deployments: full / gradual / canary, promote, rollback, deprecation, lifecycle, audit."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from aiops.exceptions import Conflict, InvalidInput
from models_registry import services
from models_registry.models import Deployment, DeploymentEvent, ModelVersion
from models_registry.routing import in_share
from models_registry.selectors import (
    candidate_salt,
    deployment_at,
    model_version_served_at,
    route_for_unit,
)
from tests.models_registry.support import register

pytestmark = pytest.mark.django_db


def active(org, task="category"):
    return Deployment.objects.get(organization=org, task=task, status="active")


def status(version):
    version.refresh_from_db()
    return version.status


def test_register_accepts_v_prefix_and_bare_semver_and_refuses_duplicates(org):
    a = register(org, "v1.2.0")
    b = register(org, "1.3.0")
    assert (a.version, b.version) == ("v1.2.0", "v1.3.0")
    assert a.status == "registered" and a.kind == "trained"
    with pytest.raises(Conflict):
        register(org, "1.2.0")
    with pytest.raises(InvalidInput):
        register(org, "1.2")
    assert services.model_version_register(organization=org, task="category").version == "v1.4.0"
    event = DeploymentEvent.objects.filter(to_version=a, action="register").get()
    assert event.organization == org


def test_register_external_model_with_prices_and_cost(org):
    version = register(
        org,
        "v2.0.0",
        provider="openai",
        external_model_id="gpt-4o-mini",
        input_price_per_1k="0.15",
        output_price_per_1k="0.6",
    )
    assert version.kind == "external" and not version.artifact_path
    log = services.inference_log_record(
        organization=org, model_version=version, latency_ms=5, tokens_in=1000, tokens_out=500
    )
    assert float(log.cost_usd) == pytest.approx(0.15 + 0.3)
    with pytest.raises(InvalidInput):
        register(org, "v2.1.0", provider="openai")
    with pytest.raises(InvalidInput):
        register(org, "v2.2.0", provider="x", external_model_id="y", input_price_per_1k=-1)


def test_full_deploy_then_rollback_restores_previous_with_audit(org, make_client):
    user = make_client(org, "admin").membership.user
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1, actor=user)
    services.model_version_deploy(model_version=v2, actor=user, reason="better holdout")
    assert active(org).model_version == v2
    assert (status(v1), status(v2)) == ("deprecated", "active")

    services.deployment_rollback(organization=org, task="category", actor=user, reason="bad")
    assert active(org).model_version == v1
    assert (status(v1), status(v2)) == ("active", "deprecated")
    assert Deployment.objects.filter(organization=org, status="rolled_back").count() == 1
    event = DeploymentEvent.objects.filter(action="rollback").get()
    assert (event.from_version, event.to_version, event.actor, event.reason) == (
        v2,
        v1,
        user,
        "bad",
    )
    assert event.created_at is not None
    deploy = DeploymentEvent.objects.filter(action="deploy", to_version=v2).get()
    assert deploy.from_version == v1 and deploy.reason == "better holdout"


def test_rollback_without_previous_version_is_a_conflict(org):
    services.model_version_deploy(model_version=register(org, "1.0.0"))
    with pytest.raises(Conflict, match="No previous version to roll back to"):
        services.deployment_rollback(organization=org, task="category")
    with pytest.raises(Conflict, match="Nothing is deployed"):
        services.deployment_rollback(organization=org, task="priority")


def test_canary_routes_its_share_stickily_and_rollback_drops_it(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    with pytest.raises(Conflict, match="deploy a first version"):
        services.model_version_deploy(model_version=v2, strategy="canary", percentage=10)
    services.model_version_deploy(model_version=v1)
    deployment = services.model_version_deploy(model_version=v2, strategy="canary", percentage=20)
    assert (deployment.model_version, deployment.candidate_version) == (v1, v2)
    assert status(v2) == "canary"
    units = [str(i) for i in range(400)]
    routed = {
        u: route_for_unit(organization=org, task="category", unit_id=u).version for u in units
    }
    share = sum(v == v2 for v in routed.values()) / len(units)
    assert 0.14 < share < 0.26
    for u in units[:50]:
        expected = in_share(salt=candidate_salt(v2.pk), unit_id=u, percentage=20)
        assert (routed[u] == v2) == expected
        assert route_for_unit(organization=org, task="category", unit_id=u).version == routed[u]

    services.deployment_rollback(organization=org, task="category", reason="errors")
    assert active(org).candidate_version is None and active(org).model_version == v1
    assert status(v2) == "deprecated"


def test_gradual_steps_keep_units_and_promote_finishes(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2, strategy="gradual", percentage=10)
    units = [str(i) for i in range(300)]

    def on_candidate():
        return {
            u
            for u in units
            if route_for_unit(organization=org, task="category", unit_id=u).version == v2
        }

    first = on_candidate()
    services.model_version_deploy(model_version=v2, strategy="gradual", percentage=30)
    second = on_candidate()
    assert first < second  # growing the share keeps every unit already on the candidate
    with pytest.raises(InvalidInput):
        services.model_version_deploy(model_version=v2, strategy="gradual", percentage=0)
    services.model_version_promote(organization=org, task="category")
    assert active(org).model_version == v2 and active(org).candidate_version is None
    assert (status(v1), status(v2)) == ("deprecated", "active")
    assert DeploymentEvent.objects.filter(action="promote", to_version=v2).exists()
    with pytest.raises(Conflict, match="to promote"):
        services.model_version_promote(organization=org, task="category")


def test_rollback_after_promote_goes_to_previous_stable(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=5)
    services.model_version_promote(organization=org, task="category")
    services.deployment_rollback(organization=org, task="category")
    assert active(org).model_version == v1


def test_lifecycle_transitions_and_deprecate(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_set_status(version=v2, status="staging")
    assert status(v2) == "staging"
    services.model_version_deploy(model_version=v1)
    with pytest.raises(Conflict, match="serving traffic"):
        services.model_version_deprecate(version=v1)
    with pytest.raises(InvalidInput):
        services.model_version_set_status(version=v2, status="active")
    services.model_version_deprecate(version=v2, reason="superseded")
    services.model_version_set_status(version=v2, status="archived")
    with pytest.raises(Conflict, match="cannot become"):
        services.model_version_set_status(version=v2, status="staging")
    with pytest.raises(Conflict, match="archived"):
        services.model_version_deploy(model_version=v2)
    assert DeploymentEvent.objects.filter(action="deprecate", from_version=v2).exists()


def test_old_versions_beyond_the_last_n_are_deprecated_automatically(org, settings):
    settings.MODEL_REGISTRY_KEEP_VERSIONS = 2
    versions = [register(org, f"1.{i}.0") for i in range(4)]
    services.model_version_deploy(model_version=versions[0])
    services.model_version_deploy(model_version=versions[3])
    # v1.0.0 was deprecated by the deploy; v1.1.0 is older than the newest two and serves nothing.
    assert [status(v) for v in versions] == ["deprecated", "deprecated", "registered", "active"]
    event = DeploymentEvent.objects.get(action="auto_deprecate")
    assert event.from_version == versions[1] and "newest 2" in event.reason


def test_redeploying_a_version_older_than_the_newest_n_keeps_it_serving(org, settings):
    settings.MODEL_REGISTRY_KEEP_VERSIONS = 2
    versions = [register(org, f"1.{i}.0") for i in range(5)]
    services.model_version_deploy(model_version=versions[3])
    services.model_version_deploy(model_version=versions[0])
    statuses = ["active", "deprecated", "deprecated", "deprecated", "registered"]
    assert [status(v) for v in versions] == statuses
    assert active(org).model_version == versions[0]


def test_an_old_shadow_is_not_deprecated_automatically(org, settings):
    settings.MODEL_REGISTRY_KEEP_VERSIONS = 2
    versions = [register(org, f"1.{i}.0") for i in range(5)]
    services.model_version_deploy(model_version=versions[3])
    services.shadow_start(model_version=versions[1], percentage=20)
    services.model_version_deploy(model_version=versions[4])
    statuses = ["deprecated", "shadow", "deprecated", "deprecated", "active"]
    assert [status(v) for v in versions] == statuses


def test_which_version_served_at_time_t(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    before = timezone.now()
    first = services.model_version_deploy(model_version=v1)
    second = services.model_version_deploy(model_version=v2, strategy="canary", percentage=50)
    Deployment.objects.filter(pk=first.pk).update(created_at=before + timedelta(minutes=1))
    Deployment.objects.filter(pk=second.pk).update(created_at=before + timedelta(minutes=2))
    at = before + timedelta(minutes=1, seconds=30)
    assert model_version_served_at(organization=org, task="category", at=before) is None
    assert model_version_served_at(organization=org, task="category", at=at) == v1
    later = before + timedelta(minutes=3)
    assert deployment_at(organization=org, task="category", at=later).pk == second.pk
    served = {
        model_version_served_at(organization=org, task="category", at=later, unit_id=str(u))
        for u in range(50)
    }
    assert served == {v1, v2}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deploys_leave_exactly_one_active_deployment(org):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    base = register(org, "1.0.0")
    services.model_version_deploy(model_version=base)
    versions = [register(org, f"2.{i}.0") for i in range(4)]
    barrier = threading.Barrier(len(versions))
    errors = []

    def deploy(version):
        try:
            barrier.wait()
            services.model_version_deploy(model_version=ModelVersion.objects.get(pk=version.pk))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deploy, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (
        Deployment.objects.filter(organization=org, task="category", status="active").count() == 1
    )
    chain = Deployment.objects.filter(organization=org, task="category")
    assert chain.count() == 5
    # A linear history: every deployment but the first supersedes exactly one other.
    previous = list(chain.exclude(previous=None).values_list("previous_id", flat=True))
    assert len(previous) == len(set(previous)) == 4
    assert ModelVersion.objects.filter(organization=org, status="active").count() == 1


def served(org, task="category"):
    return active(org, task).model_version.version


def rollback(org):
    return services.deployment_rollback(organization=org, task="category")


def test_rollbacks_walk_back_through_the_history_instead_of_toggling(org):
    """The issue: two rollbacks in a row put back the version the first one removed."""
    v1, v2, v3 = (register(org, f"1.{i}.0") for i in range(3))
    for version in (v1, v2, v3):
        services.model_version_deploy(model_version=version)
    rollback(org)
    assert served(org) == "v1.1.0"
    rollback(org)
    assert served(org) == "v1.0.0"
    with pytest.raises(Conflict, match="No previous version to roll back to"):
        rollback(org)
    assert served(org) == "v1.0.0"
    assert [status(v) for v in (v1, v2, v3)] == ["active", "deprecated", "deprecated"]
    events = DeploymentEvent.objects.filter(action="rollback").order_by("pk")
    assert [(e.from_version.version, e.to_version.version) for e in events] == [
        ("v1.2.0", "v1.1.0"),
        ("v1.1.0", "v1.0.0"),
    ]


def test_a_dropped_canary_is_skipped_by_later_rollbacks(org):
    v1, v2, v3 = (register(org, f"1.{i}.0") for i in range(3))
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2)
    services.model_version_deploy(model_version=v3, strategy="canary", percentage=10)
    rollback(org)  # drops the canary: v1.1.0 alone
    assert (served(org), active(org).candidate_version) == ("v1.1.0", None)
    rollback(org)
    assert served(org) == "v1.0.0"
    with pytest.raises(Conflict, match="No previous version"):
        rollback(org)


def test_a_canary_dropped_on_a_first_version_leaves_nothing_to_roll_back(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=10)
    rollback(org)
    with pytest.raises(Conflict, match="No previous version"):
        rollback(org)


def test_a_version_deployed_again_after_its_rollback_is_eligible_again(org):
    v1, v2, v3 = (register(org, f"1.{i}.0") for i in range(3))
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2)
    rollback(org)
    assert served(org) == "v1.0.0"
    v2.refresh_from_db()
    services.model_version_deploy(model_version=v2)  # fixed and deployed again
    services.model_version_deploy(model_version=v3)
    rollback(org)
    assert served(org) == "v1.1.0"
    rollback(org)
    assert served(org) == "v1.0.0"
    with pytest.raises(Conflict, match="No previous version"):
        rollback(org)


def test_rollback_skips_an_archived_version(org):
    v1, v2, v3 = (register(org, f"1.{i}.0") for i in range(3))
    for version in (v1, v2, v3):
        services.model_version_deploy(model_version=version)
    services.model_version_set_status(version=v2, status="archived")
    rollback(org)
    assert served(org) == "v1.0.0"


def test_deploy_checks_read_the_stored_status_and_a_running_ab_test(org, other_org):
    from models_registry.selectors import deploy_checks

    a, b = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=a)
    ModelVersion.objects.filter(pk=b.pk).update(status="staging")  # b in memory: registered
    assert deploy_checks(version_id=b.pk, organization=org, task="category") == ("staging", False)
    services.ab_test_start(version_a=a, version_b=b, split_percentage=50)
    assert deploy_checks(version_id=b.pk, organization=org, task="category")[1] is True
    assert deploy_checks(version_id=b.pk, organization=org, task="priority")[1] is False
    assert deploy_checks(version_id=b.pk, organization=other_org, task="category")[1] is False
    assert deploy_checks(version_id=10**9, organization=org, task="category")[0] is None


def test_a_deploy_refuses_a_version_archived_since_it_was_read(org):
    a, b = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=a)
    ModelVersion.objects.filter(pk=b.pk).update(status="archived")
    with pytest.raises(Conflict, match="archived"):
        services.model_version_deploy(model_version=b)  # its status in memory: registered
    assert active(org).model_version_id == a.pk
