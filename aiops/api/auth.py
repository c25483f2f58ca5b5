"""Bearer-token authentication with throttling of failed attempts.

A valid token is never refused for failures: it is resolved (one cache round trip when
cached, else one indexed read) before any counter is consulted. Failures are counted per
client address and per (address, presented credential) in fixed windows of
AUTH_FAILURE_WINDOW_SECONDS; over either limit an invalid credential gets 429 with
Retry-After, the seconds until the window ends. A credential over its own limit is refused
without a lookup and no longer counts against its address, so one client retrying a revoked
key in a loop does not use up the budget of everyone behind the same address (a NAT, a proxy).
"""

import ipaddress
import math
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework import authentication, exceptions

from aiops.selectors import api_token_cache_key, api_token_get_active, token_hash

LAST_USED_RESOLUTION_SECONDS = 60

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)
    except ValueError as exc:
        raise ImproperlyConfigured(f"AIOPS_TRUSTED_PROXIES: {exc}") from exc


def _is_trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(request) -> str:
    """REMOTE_ADDR, unless that is a trusted proxy (AIOPS_TRUSTED_PROXIES): then the rightmost
    X-Forwarded-For address that is not one, the one the nearest trusted proxy saw. Addresses
    left of it are whatever the client wrote, so they are never believed."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = _networks(tuple(settings.AIOPS_TRUSTED_PROXIES))
    if not proxies or not _is_trusted(remote, proxies):
        return remote
    address = remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([hop.strip() for hop in forwarded.split(",") if hop.strip()]):
        address = hop[:64]
        if not _is_trusted(hop, proxies):
            break
    return address


def _window() -> tuple[int, int]:
    """The current failure window's number and the whole seconds until it ends."""
    length = settings.AUTH_FAILURE_WINDOW_SECONDS
    now = time.time()
    number = int(now // length)
    return number, max(1, math.ceil((number + 1) * length - now))


def _count(key: str) -> None:
    if not cache.add(key, 1, settings.AUTH_FAILURE_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.set(key, 1, settings.AUTH_FAILURE_WINDOW_SECONDS)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        key = key.strip() if scheme.lower() == self.keyword.lower() else ""
        key_hash = token_hash(key) if key else ""
        window, retry_after = _window()
        address_failures = f"authfail:{window}:{client_address(request)}"
        credential_failures = f"{address_failures}:{key_hash or token_hash(header)}"
        # One round trip in the common case: the cached token, the marker that its
        # last_used_at was written within the last minute, and both failure counts.
        token_key = api_token_cache_key(key_hash=key_hash)
        used_key = f"apitoken-used:{key_hash}"
        wanted = [credential_failures, address_failures]
        if key_hash:
            wanted.append(used_key)
            if settings.AIOPS_TOKEN_CACHE_SECONDS > 0:
                wanted.append(token_key)
        found = cache.get_many(wanted)
        # A key that failed is never valid later (keys are random, made when issued).
        if (found.get(credential_failures) or 0) >= settings.AUTH_FAILURE_KEY_LIMIT:
            raise exceptions.Throttled(
                wait=retry_after, detail="Too many failed attempts with this token."
            )
        token = api_token_get_active(key=key, cached=found.get(token_key)) if key else None
        if token is None:
            _count(credential_failures)
            if (found.get(address_failures) or 0) >= settings.AUTH_FAILURE_LIMIT:
                raise exceptions.Throttled(
                    wait=retry_after,
                    detail="Too many failed authentication attempts from this address.",
                )
            _count(address_failures)
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if not token.membership.user.is_active:
            raise exceptions.AuthenticationFailed("This user is deactivated.")
        # A cached token's last_used_at is as old as the cache entry, so the marker, not the
        # token, decides: add() lets one request per token and minute write it.
        if used_key not in found and cache.add(used_key, 1, LAST_USED_RESOLUTION_SECONDS):
            type(token).objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.membership.user, token

    def authenticate_header(self, request):
        return self.keyword
