"""What serves a task now: every version with its role and share (stable, canary / gradual,
A/B arms, shadow; a displaced stable version at 0 %), the same in view=active and
view=health; version statuses that say what a version does; A/B results that say how the
test ended."""

import pytest

from aiops.exceptions import Conflict, InvalidInput
from models_registry import services
from models_registry.models import DeploymentEvent, ModelVersion
from models_registry.selectors import serving_list
from tests.models_registry.support import register

pytestmark = pytest.mark.django_db

URL = "/api/ai/models"


def status(version):
    version.refresh_from_db()
    return version.status


def parts(org, task="category"):
    return [
        (e.version.version, e.role, e.traffic_percentage)
        for e in serving_list(organization=org, task=task)
    ]


@pytest.fixture
def admin(make_client, org):
    return make_client(org, "admin")


def test_a_canary_and_a_gradual_rollout_share_the_traffic_with_the_stable_version(org):
    v1, v2, v3 = (register(org, f"1.{i}.0") for i in range(3))
    services.model_version_deploy(model_version=v1)
    assert parts(org) == [("v1.0.0", "stable", 100.0)]
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=10)
    assert parts(org) == [("v1.0.0", "stable", 90.0), ("v1.1.0", "canary", 10.0)]
    services.model_version_deploy(model_version=v3, strategy="gradual", percentage=25)
    assert parts(org) == [("v1.0.0", "stable", 75.0), ("v1.2.0", "gradual", 25.0)]
    assert (status(v1), status(v2), status(v3)) == ("active", "deprecated", "canary")


def test_ab_arms_serve_and_say_so_and_a_displaced_stable_serves_nothing(org, admin):
    """The issue: during an A/B test of v1.1.0 against v1.2.0, view=health left out arm A
    and listed v1.0.0 (which served nothing), view=active showed only v1.0.0, and arm A
    stayed `registered`."""
    v1, v2, v3 = (register(org, f"1.{i}.0") for i in range(3))
    services.model_version_deploy(model_version=v1)
    body = {"action": "ab-test", "versionA": "v1.1.0", "versionB": "v1.2.0", "splitPercentage": 40}
    assert admin.post(URL, body, format="json").status_code == 201
    assert (status(v1), status(v2), status(v3)) == ("active", "ab_test", "ab_test")
    assert parts(org) == [
        ("v1.1.0", "arm_a", 60.0),
        ("v1.2.0", "arm_b", 40.0),
        ("v1.0.0", "stable", 0.0),
    ]

    active = admin.get(URL, {"view": "active"}).json()
    assert [
        (a["version"], a["role"], a["trafficPercentage"], a["status"]) for a in active["active"]
    ] == [
        ("v1.1.0", "arm_a", 60.0, "ab_test"),
        ("v1.2.0", "arm_b", 40.0, "ab_test"),
    ]
    [displaced] = active["displaced"]
    assert (displaced["version"], displaced["trafficPercentage"]) == ("v1.0.0", 0.0)
    assert "serves nothing until it ends" in displaced["note"]
    health = admin.get(URL, {"view": "health"}).json()["health"]
    assert [(h["version"], h["role"], h["trafficPercentage"]) for h in health] == [
        ("v1.1.0", "arm_a", 60.0),
        ("v1.2.0", "arm_b", 40.0),
    ]
    event = DeploymentEvent.objects.get(action="ab_test_start")
    assert event.details["status_changes"] == {
        "v1.1.0": ["registered", "ab_test"],
        "v1.2.0": ["registered", "ab_test"],
    }
    # The displaced stable version is what the task falls back to: it cannot be retired.
    with pytest.raises(Conflict, match="serving traffic"):
        services.model_version_deprecate(version=v1)


def test_stable_arm_a_keeps_its_status_and_every_view_lists_both_arms(org, admin):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.ab_test_start(version_a=v1, version_b=v2)
    assert (status(v1), status(v2)) == ("active", "ab_test")
    assert parts(org) == [("v1.0.0", "arm_a", 50.0), ("v1.1.0", "arm_b", 50.0)]
    health = admin.get(URL, {"view": "health", "task": "category"}).json()["health"]
    assert [(h["version"], h["role"]) for h in health] == [("v1.0.0", "arm_a"), ("v1.1.0", "arm_b")]
    assert admin.get(URL, {"view": "active"}).json()["displaced"] == []


def test_a_shadow_is_listed_with_its_share_and_its_own_status(org, admin):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.shadow_start(model_version=v2, percentage=30)
    assert status(v2) == "shadow"
    assert parts(org) == [("v1.0.0", "stable", 100.0), ("v1.1.0", "shadow", 30.0)]
    health = admin.get(URL, {"view": "health"}).json()["health"]
    assert [(h["version"], h["role"], h["trafficPercentage"]) for h in health] == [
        ("v1.0.0", "stable", 100.0),
        ("v1.1.0", "shadow", 30.0),
    ]
    services.shadow_end(organization=org, task="category")
    assert status(v2) == "staging"  # evaluated, ready to deploy
    event = DeploymentEvent.objects.get(action="shadow_end")
    assert event.details["status_changes"] == {"v1.1.0": ["shadow", "staging"]}


def test_serving_statuses_are_set_by_the_services_only(org):
    version = register(org, "1.0.0")
    for serving in ("active", "canary", "ab_test", "shadow"):
        with pytest.raises(InvalidInput, match="by serving"):
            services.model_version_set_status(version=version, status=serving)


def test_no_ab_test_while_a_canary_rollout_is_under_way(org):
    v1, v2, v3 = (register(org, f"1.{i}.0") for i in range(3))
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=10)
    with pytest.raises(Conflict, match="canary rollout of v1.1.0 is under way"):
        services.ab_test_start(version_a=v1, version_b=v3)
    assert status(v3) == "registered"


def test_an_ended_ab_test_stores_how_it_ended(org):
    v1, v2, v3 = (register(org, f"1.{i}.0") for i in range(3))
    services.model_version_deploy(model_version=v1)
    stopped = services.ab_test_start(version_a=v1, version_b=v2)
    services.ab_test_stop(ab_test=stopped)
    stopped.refresh_from_db()
    assert (stopped.result["status"], stopped.result["winner"]) == ("stopped", None)
    assert status(v2) == "deprecated"
    concluded = services.ab_test_start(version_a=v1, version_b=v3)
    services.ab_test_conclude(ab_test=concluded, winner="B")
    concluded.refresh_from_db()
    assert concluded.status == concluded.result["status"] == "concluded"
    assert concluded.result["winner"] == "v1.2.0" and concluded.result["ended_at"]
    assert (status(v1), status(v3)) == ("deprecated", "active")
    assert parts(org) == [("v1.2.0", "stable", 100.0)]


def test_serving_list_is_scoped_to_the_organization(org, other_org):
    services.model_version_deploy(model_version=register(other_org, "9.0.0"))
    services.model_version_deploy(model_version=register(org, "1.0.0"))
    assert parts(org) == [("v1.0.0", "stable", 100.0)]
    assert ModelVersion.objects.filter(status="active").count() == 2


def test_view_active_costs_the_same_whatever_serves_and_lists_every_active_deployment(org, admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from models_registry.api.serializers import DeploymentSerializer
    from models_registry.selectors import model_version_active_list

    def read():
        with CaptureQueriesContext(connection) as queries:
            body = admin.get(URL, {"view": "active"}).json()
        return body, len(queries)

    services.model_version_deploy(model_version=register(org, "1.0.0"))
    read()  # the token's first use writes its last_used_at
    _, one_task = read()
    for task in ("priority", "sentiment"):
        services.model_version_deploy(model_version=register(org, "1.0.0", task=task))
    services.model_version_deploy(
        model_version=register(org, "1.1.0"), strategy="canary", percentage=10
    )
    services.shadow_start(model_version=register(org, "2.0.0", task="priority"))
    body, three_tasks = read()
    assert three_tasks == one_task
    expected = DeploymentSerializer(model_version_active_list(organization=org), many=True).data
    assert [d["id"] for d in body["deployments"]] == [d["id"] for d in expected]
    assert [(d["task"], d["modelVersion"], d["candidateVersion"]) for d in body["deployments"]] == [
        ("category", "v1.0.0", "v1.1.0"),
        ("priority", "v1.0.0", None),
        ("sentiment", "v1.0.0", None),
    ]
    assert [(a["task"], a["role"]) for a in body["active"]] == [
        ("category", "stable"),
        ("category", "canary"),
        ("priority", "stable"),
        ("priority", "shadow"),
        ("sentiment", "stable"),
    ]
