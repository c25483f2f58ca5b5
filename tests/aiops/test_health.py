"""/healthz (liveness) and /readyz (readiness) for load balancers and orchestrators."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from kombu import Connection
from rest_framework.test import APIClient

from aiops.api import health
from aiops.models import Heartbeat
from aiops.services.health import heartbeat_record
from aiops.tasks import beat_heartbeat_task
from config.celery import app

pytestmark = pytest.mark.django_db


def _get(path: str, **extra):
    return APIClient().get(path, **extra)


def test_healthz_is_unauthenticated_constant_and_takes_any_host(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = _get("/healthz", HTTP_HOST="10.42.0.17:8000")  # a pod's address
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_with_every_check_passing_is_200():
    heartbeat_record()
    response = _get("/readyz", HTTP_HOST="10.42.0.17")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "beat"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert isinstance(check["ms"], float | int) and check["ms"] >= 0


def test_readyz_without_a_heartbeat_is_503():
    response = _get("/readyz")
    assert response.status_code == 503
    beat = response.json()["checks"]["beat"]
    assert beat["status"] == "fail" and "no heartbeat" in beat["error"]
    assert response.json()["checks"]["database"]["status"] == "ok"


def test_a_stale_heartbeat_is_503(settings):
    settings.AIOPS_BEAT_HEARTBEAT_MAX_AGE_SECONDS = 180
    Heartbeat.objects.create(name="beat", beat_at=timezone.now() - timedelta(seconds=200))
    response = _get("/readyz")
    assert response.status_code == 503
    assert "200 s old" in response.json()["checks"]["beat"]["error"]
    heartbeat_record()
    assert _get("/readyz").status_code == 200


@pytest.mark.parametrize(
    ("check", "patch"),
    [
        ("database", mock.patch.object(health, "connection")),
        ("cache", mock.patch.object(health, "cache")),
        (
            "broker",
            mock.patch.object(
                health.current_app,
                "connection_for_write",
                lambda **kwargs: Connection("redis://127.0.0.1:1/0", connect_timeout=1),
            ),
        ),
    ],
)
def test_a_failing_dependency_is_503_naming_it(check, patch):
    heartbeat_record()
    with patch as patched:
        if check == "database":
            patched.cursor.side_effect = RuntimeError("connection refused")
        elif check == "cache":
            patched.get.return_value = None
        response = _get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks[check]["status"] == "fail" and checks[check]["error"]
    assert [name for name, result in checks.items() if result["status"] == "fail"] == [check]


def test_probes_answer_only_get_and_head():
    assert APIClient().head("/healthz").status_code == 200
    response = APIClient().post("/readyz")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


def test_beat_records_a_heartbeat_every_minute():
    entry = next(
        e for e in app.conf.beat_schedule.values() if e["task"] == beat_heartbeat_task.name
    )
    assert entry["schedule"].minute == set(range(60))
    beat_heartbeat_task.delay()
    assert Heartbeat.objects.get(name="beat").beat_at > timezone.now() - timedelta(seconds=5)
