"""A/B tests: validation, sticky routing by arm, logging, results, conclude and stop."""

import pytest
from statsmodels.stats.proportion import proportions_ztest

from aiops.exceptions import Conflict, InvalidInput
from models_registry import services, stats
from models_registry.models import ABTest, Deployment, DeploymentEvent
from models_registry.routing import choose_arm
from models_registry.selectors import model_version_served_at, route_for_unit
from tests.models_registry import support
from tests.models_registry.support import register

pytestmark = pytest.mark.django_db


def add_logs(ab_test, arm, **outcomes):
    version = ab_test.version_b if arm == "B" else ab_test.version_a
    support.add_logs(ab_test.organization, version, ab_test=ab_test, arm=arm, **outcomes)


@pytest.fixture
def versions(org):
    v1, v2 = register(org, "1.1.0"), register(org, "1.2.0")
    services.model_version_deploy(model_version=v1)
    return v1, v2


def test_start_validates_org_task_split_and_uniqueness(org, other_org, versions):
    v1, v2 = versions
    with pytest.raises(InvalidInput, match="same organization and task"):
        services.ab_test_start(version_a=v1, version_b=register(other_org, "1.2.0"))
    with pytest.raises(InvalidInput, match="same organization and task"):
        services.ab_test_start(version_a=v1, version_b=register(org, "1.2.0", task="priority"))
    for split in (0, 100, 0.5, 99.5):
        with pytest.raises(InvalidInput, match="between 1 and 99"):
            services.ab_test_start(version_a=v1, version_b=v2, split_percentage=split)
    ab_test = services.ab_test_start(version_a=v1, version_b=v2, split_percentage=30)
    assert ab_test.status == "running" and ab_test.salt.startswith("ab-")
    assert (v1.status, v2.status) == ("active", "ab_test")
    with pytest.raises(Conflict, match="already running"):
        services.ab_test_start(version_a=v1, version_b=v2)
    with pytest.raises(Conflict, match="A/B test is running"):
        services.model_version_deploy(model_version=v2)
    assert DeploymentEvent.objects.filter(action="ab_test_start", ab_test=ab_test).exists()


def test_minimum_sample_size_comes_from_power(versions):
    v1, v2 = versions
    v1.metrics = {"accuracy": 0.8}
    v1.save()
    ab_test = services.ab_test_start(version_a=v1, version_b=v2)
    # statsmodels-equivalent n for p = 0.8, d = 0.05 at 80 % power, alpha = 0.05, two-sided:
    # 0.8 -> 0.75 (1094) needs more than 0.8 -> 0.85 (906).
    assert ab_test.minimum_sample_size == 1094
    assert ab_test.baseline_rate == 0.8


def test_each_test_has_its_own_salt_and_routes_units_by_choose_arm(org, versions):
    v1, v2 = versions
    first = services.ab_test_start(version_a=v1, version_b=v2, split_percentage=40)
    services.ab_test_stop(ab_test=first)
    v2.refresh_from_db()
    ab_test = services.ab_test_start(version_a=v1, version_b=v2, split_percentage=40)
    assert first.salt != ab_test.salt
    arms = []
    for unit in map(str, range(400)):
        route = route_for_unit(organization=org, task="category", unit_id=unit)
        expected = choose_arm(salt=ab_test.salt, unit_id=unit, split_b_percentage=40)
        assert route.arm == expected and route.ab_test == ab_test
        assert route.version == (v2 if expected == "B" else v1)
        arms.append(route.arm)
    assert set(arms) == {"A", "B"}
    # The split itself, on choose_arm with this test's random salt over 20,000 units: 5
    # standard errors either side (0.0173), so a correct split fails once in ~1.7 million
    # runs while 0.5 or 0.3 always fail. (400 units at ±0.07 failed about once in 230.)
    units = 20_000
    share = sum(
        choose_arm(salt=ab_test.salt, unit_id=str(u), split_b_percentage=40) == "B"
        for u in range(units)
    )
    assert abs(share / units - 0.40) < 5 * (0.4 * 0.6 / units) ** 0.5
    served = model_version_served_at(
        organization=org, task="category", at=ab_test.created_at, unit_id="7"
    )
    assert served == route_for_unit(organization=org, task="category", unit_id="7").version


def test_inference_log_record_keeps_the_ab_test_and_arm(org, versions):
    v1, v2 = versions
    ab_test = services.ab_test_start(version_a=v1, version_b=v2)
    route = route_for_unit(organization=org, task="category", unit_id="42")
    log = services.inference_log_record(
        organization=org,
        model_version=route.version,
        latency_ms=3,
        arm=route.arm,
        ab_test=route.ab_test,
    )
    log.refresh_from_db()
    assert log.ab_test == ab_test and log.arm == route.arm in ("A", "B")


def test_results_per_arm_match_stats_and_statsmodels(versions):
    v1, v2 = versions
    ab_test = services.ab_test_start(version_a=v1, version_b=v2, minimum_detectable_effect=0.1)
    add_logs(ab_test, "A", correct=700, incorrect=300, unknown=40)
    add_logs(ab_test, "B", correct=820, incorrect=180, unknown=10)
    results = services.ab_test_results(ab_test=ab_test)
    assert results["arm_a"]["trials"] == 1000 and results["arm_a"]["successes"] == 700
    assert results["arm_b"]["accuracy"] == pytest.approx(0.82)
    assert results["inferences"] == {"A": 1040, "B": 1010}
    expected = stats.ab_verdict(
        a=(700, 1000),
        b=(820, 1000),
        minimum_detectable_effect=ab_test.minimum_detectable_effect,
        baseline_rate=ab_test.baseline_rate,
    ).as_dict()
    assert {k: results[k] for k in expected} == expected
    _, p_value = proportions_ztest([820, 700], [1000, 1000])
    assert results["p_value"] == pytest.approx(p_value, abs=1e-9)
    assert results["verdict"] == "B wins"


def test_conclude_promotes_the_winner_through_the_deployment_service(org, versions):
    v1, v2 = versions
    ab_test = services.ab_test_start(version_a=v1, version_b=v2, minimum_detectable_effect=0.1)
    add_logs(ab_test, "A", correct=600, incorrect=400)
    add_logs(ab_test, "B", correct=850, incorrect=150)
    services.ab_test_conclude(ab_test=ab_test, reason="clear win")
    ab_test.refresh_from_db()
    assert (ab_test.status, ab_test.winner, ab_test.verdict) == ("concluded", v2, "B wins")
    assert ab_test.result["arm_b"]["successes"] == 850 and ab_test.ended_at
    active = Deployment.objects.get(organization=org, task="category", status="active")
    assert active.model_version == v2
    v1.refresh_from_db()
    assert v1.status == "deprecated"
    assert DeploymentEvent.objects.filter(action="promote", to_version=v2).exists()
    assert DeploymentEvent.objects.filter(action="ab_test_conclude", to_version=v2).exists()
    with pytest.raises(Conflict, match="not running"):
        services.ab_test_conclude(ab_test=ab_test)


def test_inconclusive_test_needs_an_explicit_winner(org, versions):
    v1, v2 = versions
    ab_test = services.ab_test_start(version_a=v1, version_b=v2)
    add_logs(ab_test, "A", correct=30, incorrect=10)
    add_logs(ab_test, "B", correct=31, incorrect=9)
    with pytest.raises(Conflict, match="No winner yet"):
        services.ab_test_conclude(ab_test=ab_test)
    services.ab_test_conclude(ab_test=ab_test, winner="A")
    ab_test.refresh_from_db()
    assert ab_test.winner == v1 and ab_test.verdict == "inconclusive"
    v2.refresh_from_db()
    assert v2.status == "deprecated"
    assert Deployment.objects.get(organization=org, status="active").model_version == v1


def test_stop_ends_the_test_without_promoting(org, versions):
    v1, v2 = versions
    ab_test = services.ab_test_start(version_a=v1, version_b=v2)
    services.ab_test_stop(ab_test=ab_test, reason="enough")
    ab_test.refresh_from_db()
    assert ab_test.status == "stopped" and ab_test.winner is None
    route = route_for_unit(organization=org, task="category", unit_id="1")
    assert route.version == v1 and route.ab_test is None
    assert ABTest.objects.filter(status="running").count() == 0
