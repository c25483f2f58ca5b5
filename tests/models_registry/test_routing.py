import hashlib

import pytest

from models_registry.routing import Share, bucket, choose_arm, in_share, route

TICKET_IDS = range(1, 10_001)


def test_bucket_is_posthog_scheme():
    expected = int(hashlib.sha1(b"ab-test-7.ticket-42").hexdigest()[:15], 16) / 0xFFFFFFFFFFFFFFF
    assert bucket("ab-test-7", "ticket-42") == expected
    assert 0 <= bucket("ab-test-7", "ticket-42") < 1


def test_int_and_str_unit_ids_hash_alike():
    assert bucket("salt", 42) == bucket("salt", "42")


@pytest.mark.parametrize("percentage", [1, 5, 10, 25, 50, 90])
def test_share_gets_its_percentage_within_one_point(percentage):
    hits = sum(in_share(salt="canary-v2", unit_id=t, percentage=percentage) for t in TICKET_IDS)
    assert abs(hits / len(TICKET_IDS) * 100 - percentage) <= 1


def test_edges_of_in_share():
    assert not any(in_share(salt="s", unit_id=t, percentage=0) for t in range(1000))
    assert all(in_share(salt="s", unit_id=t, percentage=100) for t in range(1000))


def test_assignment_is_sticky():
    shares = [("v2", 10), ("v1", 90)]
    first = [route(salt="deploy-1", unit_id=t, shares=shares) for t in range(2000)]
    again = [route(salt="deploy-1", unit_id=t, shares=shares) for t in range(2000)]
    assert first == again
    arms = [choose_arm(salt="ab-1", unit_id=t, split_b_percentage=30) for t in range(2000)]
    assert arms == [choose_arm(salt="ab-1", unit_id=t, split_b_percentage=30) for t in range(2000)]


def test_growing_a_share_keeps_its_members():
    small = {t for t in TICKET_IDS if in_share(salt="ramp", unit_id=t, percentage=10)}
    large = {t for t in TICKET_IDS if in_share(salt="ramp", unit_id=t, percentage=20)}
    assert small <= large


def test_different_salts_are_independent():
    first = {t for t in TICKET_IDS if in_share(salt="ab-test-1", unit_id=t, percentage=50)}
    second = {t for t in TICKET_IDS if in_share(salt="ab-test-2", unit_id=t, percentage=50)}
    overlap = len(first & second) / len(TICKET_IDS) * 100
    assert abs(overlap - 25) <= 2


def test_choose_arm_matches_split_and_route():
    arms = [choose_arm(salt="ab-9", unit_id=t, split_b_percentage=50) for t in TICKET_IDS]
    assert abs(arms.count("B") / len(arms) * 100 - 50) <= 1
    routed = [route(salt="ab-9", unit_id=t, shares=[("B", 50), ("A", 50)]) for t in TICKET_IDS]
    assert arms == routed


def test_cumulative_routing_covers_everything():
    shares = [Share("v3", 5), Share("v2", 25), Share("v1", 70)]
    routed = [route(salt="deploy-2", unit_id=t, shares=shares) for t in TICKET_IDS]
    assert set(routed) == {"v1", "v2", "v3"}
    for share in shares:
        got = routed.count(share.version_id) / len(routed) * 100
        assert abs(got - share.percentage) <= 1
    # A version's range is [previous cumulative, cumulative): check against bucket directly.
    for t in range(500):
        position = bucket("deploy-2", t)
        expected = "v3" if position < 0.05 else "v2" if position < 0.30 else "v1"
        assert route(salt="deploy-2", unit_id=t, shares=shares) == expected


def test_empty_share_never_routes():
    shares = [("v2", 0), ("v1", 100)]
    assert {route(salt="s", unit_id=t, shares=shares) for t in range(1000)} == {"v1"}


@pytest.mark.parametrize("shares", [[], [("v1", 90)], [("v1", 60), ("v2", 60)], [("v1", -5)]])
def test_invalid_shares_raise(shares):
    with pytest.raises(ValueError):
        route(salt="s", unit_id=1, shares=shares)
