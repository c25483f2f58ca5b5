"""The cached resolution of bearer tokens: one cache round trip per request, and nothing
stale authenticates after a revocation, a role change or a deactivation."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from aiops.api import auth
from aiops.models import ApiToken
from aiops.selectors import api_token_cache_key, api_token_get_active, token_hash
from aiops.services.tenancy import api_token_revoke
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _key(client: APIClient) -> str:
    return client._credentials["HTTP_AUTHORIZATION"].split()[1]


def _token(client: APIClient) -> ApiToken:
    return ApiToken.objects.get(membership=client.membership)


def _cached(client: APIClient):
    return cache.get(api_token_cache_key(key_hash=token_hash(_key(client))))


def _token_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "aiops_apitoken" in q["sql"]]


class _CacheSpy:
    """Stands in for `cache` in the auth and selector modules and records each call."""

    def __init__(self):
        self.calls: list[str] = []

    def __getattr__(self, name):
        attr = getattr(cache, name)
        if not callable(attr):
            return attr

        def record(*args, **kwargs):
            self.calls.append(name)
            return attr(*args, **kwargs)

        return record


def test_second_request_makes_no_token_query(agent_client):
    with CaptureQueriesContext(connection) as first:
        assert agent_client.get("/api/tickets").status_code == 200
    assert len(_token_queries(first.captured_queries)) == 2  # the lookup, last_used_at
    with CaptureQueriesContext(connection) as second:
        assert agent_client.get("/api/tickets").status_code == 200
    assert _token_queries(second.captured_queries) == []
    assert len(second.captured_queries) == len(first.captured_queries) - 2


def test_cached_request_queries_are_pinned(agent_client, org, django_assert_num_queries):
    TicketFactory(organization=org)
    with django_assert_num_queries(4):  # token lookup, last_used_at, tickets count and rows
        assert agent_client.get("/api/tickets").status_code == 200
    with django_assert_num_queries(2):  # the tickets page alone
        assert agent_client.get("/api/tickets").status_code == 200


def test_cached_request_makes_one_cache_round_trip(agent_client, monkeypatch):
    agent_client.get("/api/tickets")
    spy = _CacheSpy()
    monkeypatch.setattr(auth, "cache", spy)
    monkeypatch.setattr("aiops.selectors.cache", spy)
    assert agent_client.get("/api/tickets").status_code == 200
    assert spy.calls == ["get_many"]


def test_cached_token_keeps_membership_organization_and_user(agent_client, org):
    agent_client.get("/api/tickets")
    token = api_token_get_active(key=_key(agent_client))
    assert token == _cached(agent_client)
    assert token.membership.organization == org
    assert token.membership.user == agent_client.membership.user
    assert "password" not in token.membership.user.__dict__  # not in the shared cache


def test_cache_key_is_the_hash_not_the_key(agent_client):
    key = _key(agent_client)
    cache_key = api_token_cache_key(key_hash=token_hash(key))
    assert key not in cache_key
    assert token_hash(key) in cache_key


def test_unknown_and_revoked_keys_are_not_cached(agent_client):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer aio_unknown")
    assert client.get("/api/tickets").status_code == 401
    assert cache.get(api_token_cache_key(key_hash=token_hash("aio_unknown"))) is None
    api_token_revoke(token=_token(agent_client))
    assert agent_client.get("/api/tickets").status_code == 401
    assert _cached(agent_client) is None


def test_revocation_through_the_service_is_immediate(agent_client):
    assert agent_client.get("/api/tickets").status_code == 200
    assert _cached(agent_client) is not None
    api_token_revoke(token=_token(agent_client))
    assert _cached(agent_client) is None
    assert agent_client.get("/api/tickets").status_code == 401


def test_revocation_saved_in_the_admin_is_immediate(agent_client):
    assert agent_client.get("/api/tickets").status_code == 200
    token = _token(agent_client)
    token.revoked_at = timezone.now()
    token.save()
    assert agent_client.get("/api/tickets").status_code == 401


def test_deleted_token_is_401_at_once(agent_client):
    assert agent_client.get("/api/tickets").status_code == 200
    _token(agent_client).delete()
    assert agent_client.get("/api/tickets").status_code == 401


def test_promotion_takes_effect_on_the_next_request(agent_client):
    assert agent_client.get("/api/retrain-policies").status_code == 403
    membership = agent_client.membership
    membership.role = "reviewer"
    membership.save()
    assert agent_client.get("/api/retrain-policies").status_code == 200


def test_demotion_takes_effect_on_the_next_request(make_client, org):
    client = make_client(org, "admin")
    assert client.post("/api/categories", {"name": "Billing"}, format="json").status_code == 201
    client.membership.role = "agent"
    client.membership.save(update_fields=["role"])
    assert client.post("/api/categories", {"name": "Returns"}, format="json").status_code == 403


def test_removed_membership_is_401_at_once(agent_client):
    assert agent_client.get("/api/tickets").status_code == 200
    agent_client.membership.delete()
    assert agent_client.get("/api/tickets").status_code == 401


def test_deleted_user_is_401_at_once(agent_client):
    assert agent_client.get("/api/tickets").status_code == 200
    agent_client.membership.user.delete()
    assert agent_client.get("/api/tickets").status_code == 401


def test_deleted_organization_is_401_at_once(agent_client, org):
    assert agent_client.get("/api/tickets").status_code == 200
    org.delete()
    assert agent_client.get("/api/tickets").status_code == 401


def test_deactivated_user_is_401_at_once_and_reactivated_is_served_again(agent_client):
    assert agent_client.get("/api/tickets").status_code == 200
    user = agent_client.membership.user
    user.is_active = False
    user.save()
    assert _cached(agent_client) is None
    response = agent_client.get("/api/tickets")
    assert response.status_code == 401
    assert "deactivated" in response.json()["message"]
    user.is_active = True
    user.save()
    assert agent_client.get("/api/tickets").status_code == 200


def test_renamed_organization_is_not_served_from_a_stale_entry(agent_client, org):
    agent_client.get("/api/tickets")
    org.name = "Acme Renamed"
    org.save()
    assert api_token_get_active(key=_key(agent_client)).membership.organization.name == (
        "Acme Renamed"
    )


def test_login_does_not_evict(agent_client):
    from django.contrib.auth.models import update_last_login

    agent_client.get("/api/tickets")
    update_last_login(None, agent_client.membership.user)
    assert _cached(agent_client) is not None


def test_ttl_zero_disables_the_cache(settings, agent_client):
    settings.AIOPS_TOKEN_CACHE_SECONDS = 0
    agent_client.get("/api/tickets")
    assert _cached(agent_client) is None
    with CaptureQueriesContext(connection) as second:
        assert agent_client.get("/api/tickets").status_code == 200
    assert len(_token_queries(second.captured_queries)) == 1


def test_last_used_at_is_written_once_a_minute_not_per_request(agent_client):
    with CaptureQueriesContext(connection) as first:
        agent_client.get("/api/tickets")
    assert any(q.startswith("UPDATE") for q in _token_queries(first.captured_queries))
    written = _token(agent_client).last_used_at
    assert written is not None
    for _ in range(3):
        with CaptureQueriesContext(connection) as later:
            agent_client.get("/api/tickets")
        assert _token_queries(later.captured_queries) == []
    # A minute later the marker has expired: the next request writes again.
    cache.delete(f"apitoken-used:{token_hash(_key(agent_client))}")
    agent_client.get("/api/tickets")
    assert _token(agent_client).last_used_at > written


def test_throttled_address_still_serves_a_cached_valid_token_in_one_round_trip(
    settings, agent_client, monkeypatch
):
    settings.AUTH_FAILURE_LIMIT = 3
    assert agent_client.get("/api/tickets").status_code == 200
    assert _cached(agent_client) is not None
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    assert [bad.get("/api/tickets").status_code for _ in range(4)] == [401, 401, 401, 429]
    spy = _CacheSpy()
    monkeypatch.setattr(auth, "cache", spy)
    monkeypatch.setattr("aiops.selectors.cache", spy)
    assert agent_client.get("/api/tickets").status_code == 200
    assert spy.calls == ["get_many"]
