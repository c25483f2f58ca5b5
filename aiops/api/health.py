"""/healthz (liveness) and /readyz (readiness) for load balancers and orchestrators.

Answered by a middleware ahead of the others, not a view: a probe is unauthenticated, must
cost next to nothing, and arrives with whatever Host the orchestrator uses (a pod's IP),
which ALLOWED_HOSTS would refuse (CommonMiddleware) long before a view ran."""

import secrets
import time
from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from aiops.selectors import heartbeat_at
from aiops.services.health import BEAT


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key, value = f"readyz:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, 10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not return what was just stored")
    finally:
        cache.delete(key)


def _broker() -> None:
    with current_app.connection_for_write(connect_timeout=2) as broker:
        broker.ensure_connection(max_retries=0)


def _beat() -> None:
    beat_at = heartbeat_at(name=BEAT)
    if beat_at is None:
        raise RuntimeError("no heartbeat from Celery beat yet")
    age = (timezone.now() - beat_at).total_seconds()
    limit = settings.AIOPS_BEAT_HEARTBEAT_MAX_AGE_SECONDS
    if age > limit:
        raise RuntimeError(f"the last heartbeat from Celery beat is {age:.0f} s old (> {limit} s)")


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "beat": _beat,
}


def readiness() -> tuple[bool, dict]:
    """Every check, each with its status, its duration and (when it failed) why."""
    results = {}
    for name, check in READINESS_CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure means "not ready", with the reason
            result = {"status": "fail", "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            result = {"status": "ok"}
        result["ms"] = round((time.perf_counter() - started) * 1000, 2)
        results[name] = result
    return all(r["status"] == "ok" for r in results.values()), results


class HealthMiddleware:
    """GET/HEAD /healthz: the process serves requests (no database: constant cost).
    GET/HEAD /readyz: and it can do its work: 200 when every check passes, 503 otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path not in ("/healthz", "/readyz"):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"status": "method not allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
        elif request.path == "/healthz":
            response = JsonResponse({"status": "ok"})
        else:
            ready, checks = readiness()
            response = JsonResponse(
                {"status": "ok" if ready else "fail", "checks": checks},
                status=200 if ready else 503,
            )
        response["Cache-Control"] = "no-store"
        return response
