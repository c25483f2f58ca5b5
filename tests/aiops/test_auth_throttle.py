"""Throttling of failed bearer authentication: per client address and per (address, presented
key), never a valid token, 429 with Retry-After, the client address through trusted proxies,
and the scheme word in any case."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.test import APIClient

from aiops.api import auth

pytestmark = pytest.mark.django_db

URL = "/api/tickets"


def _attempt(key: str = "wrong", **extra):
    client = APIClient()
    return client.get(URL, HTTP_AUTHORIZATION=f"Bearer {key}", **extra)


def _key(client: APIClient) -> str:
    return client._credentials["HTTP_AUTHORIZATION"].split()[1]


@pytest.fixture
def limits(settings):
    settings.AUTH_FAILURE_LIMIT = 4
    settings.AUTH_FAILURE_KEY_LIMIT = 2
    return settings


def test_many_failures_from_an_address_never_refuse_a_valid_token(limits, agent_client):
    statuses = [_attempt(f"guess-{i}").status_code for i in range(30)]
    assert statuses[:4] == [401] * 4 and set(statuses[4:]) == {429}
    assert agent_client.get(URL).status_code == 200
    # ...not even a token used for the first time (not cached yet).
    cache.clear()
    for i in range(4):
        _attempt(f"again-{i}")
    assert _attempt("one-more").status_code == 429
    assert agent_client.get(URL).status_code == 200


def test_429_says_when_to_retry(limits, agent_client):
    for i in range(4):
        assert _attempt(f"guess-{i}").status_code == 401
    refused = _attempt("guess-5")
    assert refused.status_code == 429
    assert refused.json()["error"] == "throttled"
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= limits.AUTH_FAILURE_WINDOW_SECONDS


def test_retry_after_counts_down_to_the_end_of_the_window(limits, monkeypatch):
    window = limits.AUTH_FAILURE_WINDOW_SECONDS
    start = 1_000 * window  # the start of a window
    monkeypatch.setattr(auth.time, "time", lambda: start + 10)
    for i in range(4):
        _attempt(f"guess-{i}")
    assert _attempt("guess-5")["Retry-After"] == str(window - 10)
    monkeypatch.setattr(auth.time, "time", lambda: start + window - 0.5)
    assert _attempt("guess-6")["Retry-After"] == "1"
    # The next window starts afresh.
    monkeypatch.setattr(auth.time, "time", lambda: start + window)
    assert _attempt("guess-7").status_code == 401


def test_one_key_retried_in_a_loop_does_not_use_up_its_address(limits):
    # A client retrying its revoked key: refused after its own limit, and from then on
    # without counting against the address (nor a database lookup).
    assert [_attempt("stale").status_code for _ in range(50)] == [401, 401] + [429] * 48
    assert _attempt("typo").status_code == 401  # another client behind the same address
    assert _attempt("typo-2").status_code == 401


def test_repeated_key_is_refused_without_a_lookup(limits, django_assert_num_queries):
    _attempt("stale")
    _attempt("stale")
    with django_assert_num_queries(0):
        assert _attempt("stale").status_code == 429


def test_other_addresses_are_not_affected(limits):
    for i in range(5):
        _attempt(f"guess-{i}", REMOTE_ADDR="203.0.113.7")
    assert _attempt("guess-9", REMOTE_ADDR="203.0.113.7").status_code == 429
    assert _attempt("guess-9", REMOTE_ADDR="203.0.113.8").status_code == 401


def test_forwarded_for_is_ignored_without_trusted_proxies(limits):
    for i in range(5):
        _attempt(f"guess-{i}", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    # Every request counted against REMOTE_ADDR, whatever the header claimed.
    assert _attempt("guess-9", HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(limits, agent_client):
    limits.AIOPS_TRUSTED_PROXIES = ["10.0.0.0/8"]
    via_proxy = {"REMOTE_ADDR": "10.1.2.3"}
    for i in range(5):
        _attempt(f"guess-{i}", HTTP_X_FORWARDED_FOR="198.51.100.1", **via_proxy)
    assert _attempt("x", HTTP_X_FORWARDED_FOR="198.51.100.1", **via_proxy).status_code == 429
    assert _attempt("x", HTTP_X_FORWARDED_FOR="198.51.100.2", **via_proxy).status_code == 401
    # A client cannot escape by prepending addresses: the proxy appended the real one.
    spoofed = "192.0.2.50, 198.51.100.1"
    assert _attempt("y", HTTP_X_FORWARDED_FOR=spoofed, **via_proxy).status_code == 429
    assert agent_client.get(URL, HTTP_X_FORWARDED_FOR="198.51.100.1", **via_proxy).status_code == (
        200
    )


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        (["10.0.0.0/8"], "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        (["10.0.0.0/8"], "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (["10.0.0.0/8"], "10.0.0.2", "192.0.2.1, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (["10.0.0.0/8", "172.16.0.1"], "172.16.0.1", "198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (["10.0.0.0/8"], "10.0.0.2", "", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.2", "10.0.0.7, 10.0.0.8", "10.0.0.7"),
        (["2001:db8::/32"], "2001:db8::1", "2001:db8:1::5, 2001:db9::7", "2001:db9::7"),
    ],
)
def test_client_address(settings, proxies, remote, forwarded, expected):
    settings.AIOPS_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert auth.client_address(request) == expected


def test_a_bad_trusted_proxy_setting_fails_loudly(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.AIOPS_TRUSTED_PROXIES = ["not-an-address"]
    with pytest.raises(ImproperlyConfigured):
        auth.client_address(RequestFactory().get("/"))


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer", "bEaReR"])
def test_scheme_word_is_case_insensitive(agent_client, scheme):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {_key(agent_client)}")
    assert client.get(URL).status_code == 200


def test_lower_case_scheme_is_not_counted_as_a_failure(limits, agent_client):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {_key(agent_client)}")
    for _ in range(10):
        assert client.get(URL).status_code == 200
    assert _attempt("first-wrong").status_code == 401
