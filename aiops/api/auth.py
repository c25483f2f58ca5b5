"""Bearer-token authentication with throttling of failed attempts."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework import authentication, exceptions

from aiops.selectors import api_token_cache_key, api_token_get_active, token_hash

LAST_USED_RESOLUTION = timedelta(minutes=1)


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, key = header.partition(" ")
        key = key.strip() if scheme == self.keyword else ""
        key_hash = token_hash(key) if key else ""
        failures_key = f"authfail:{_client_ip(request)}"
        # One round trip in the common case: the failure count, the cached token and the
        # marker that its last_used_at was written within the last minute.
        token_key = api_token_cache_key(key_hash=key_hash)
        used_key = f"apitoken-used:{key_hash}"
        wanted = [failures_key]
        if key_hash:
            wanted.append(used_key)
            if settings.AIOPS_TOKEN_CACHE_SECONDS > 0:
                wanted.append(token_key)
        found = cache.get_many(wanted)
        if (found.get(failures_key) or 0) >= settings.AUTH_FAILURE_LIMIT:
            raise exceptions.Throttled(detail="Too many failed authentication attempts.")
        token = api_token_get_active(key=key, cached=found.get(token_key))
        if token is None:
            if not cache.add(failures_key, 1, settings.AUTH_FAILURE_WINDOW_SECONDS):
                try:
                    cache.incr(failures_key)
                except ValueError:
                    cache.set(failures_key, 1, settings.AUTH_FAILURE_WINDOW_SECONDS)
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if not token.membership.user.is_active:
            raise exceptions.AuthenticationFailed("This user is deactivated.")
        # A cached token's last_used_at is as old as the cache entry, so the marker, not the
        # token, decides: add() lets one request per token and minute write it.
        resolution = int(LAST_USED_RESOLUTION.total_seconds())
        if used_key not in found and cache.add(used_key, 1, resolution):
            type(token).objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.membership.user, token

    def authenticate_header(self, request):
        return self.keyword
