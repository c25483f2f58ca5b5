"""Bearer-token authentication with throttling of failed attempts."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework import authentication, exceptions

from aiops.selectors import api_token_get_active

LAST_USED_RESOLUTION = timedelta(minutes=1)


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        failures_key = f"authfail:{_client_ip(request)}"
        if (cache.get(failures_key) or 0) >= settings.AUTH_FAILURE_LIMIT:
            raise exceptions.Throttled(detail="Too many failed authentication attempts.")
        scheme, _, key = header.partition(" ")
        token = api_token_get_active(key=key.strip()) if scheme == self.keyword else None
        if token is None:
            if not cache.add(failures_key, 1, settings.AUTH_FAILURE_WINDOW_SECONDS):
                try:
                    cache.incr(failures_key)
                except ValueError:
                    cache.set(failures_key, 1, settings.AUTH_FAILURE_WINDOW_SECONDS)
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
        return token.membership.user, token

    def authenticate_header(self, request):
        return self.keyword
