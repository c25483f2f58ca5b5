"""Cold loads: a model load is never inference latency, and every serving version is loaded
when a process starts (web and worker) and when a deploy commits, into a cache that holds
them all."""

import importlib
import logging
import sys
import threading
import time

import pytest
from celery.signals import worker_process_init

from aiops.services.operations import classify, operation_input
from models_registry import services, serving
from models_registry.models import InferenceLog, ShadowPrediction
from models_registry.serving import model_is_cached
from models_registry.warming import serving_warm, serving_warm_in_background
from tests.factories import OrganizationFactory
from tests.models_registry.support import corrupt_artifact, register

pytestmark = pytest.mark.django_db

LOAD_SECONDS = 0.4


@pytest.fixture
def slow_loads(monkeypatch):
    """Every artifact load takes LOAD_SECONDS more, as a big model's does."""
    real = serving.artifact_load

    def slow(**kwargs):
        time.sleep(LOAD_SECONDS)
        return real(**kwargs)

    monkeypatch.setattr(serving, "artifact_load", slow)


def test_a_cold_load_is_not_counted_as_inference_latency(org, slow_loads):
    """The issue: after a restart the first classify took 4.2 s and stored it as latency."""
    version = register(org, "1.0.0")
    services.model_version_deploy(model_version=version)
    serving.cache_clear()  # a process that just started
    started = time.perf_counter()
    record = classify(organization=org, source=operation_input(organization=org, body="refund"))
    wall_ms = (time.perf_counter() - started) * 1000
    assert wall_ms >= LOAD_SECONDS * 1000  # it did load
    log = InferenceLog.objects.get(pk=record.inference_log_id)
    # All the call took but the load, however slow the machine: never the load itself.
    assert 0 < log.latency_ms <= wall_ms - LOAD_SECONDS * 1000
    assert record.processing_time_ms == log.latency_ms


def test_a_shadow_prediction_latency_leaves_out_the_load(org, slow_loads):
    live, shadow_version = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=live)
    shadow = services.shadow_start(model_version=shadow_version)
    serving.cache_clear()
    log = services.inference_log_record(organization=org, model_version=live, latency_ms=1)
    started = time.perf_counter()
    services.shadow_predict(shadow_id=shadow.pk, inference_log_id=log.pk, text="refund")
    wall_ms = (time.perf_counter() - started) * 1000
    assert wall_ms >= LOAD_SECONDS * 1000  # it did load
    assert 0 < ShadowPrediction.objects.get().latency_ms <= wall_ms - LOAD_SECONDS * 1000


def test_a_request_waits_for_its_own_model_only(org, monkeypatch):
    """While the start-up warming loads one version, a request for another one loads and
    answers at once: it does not queue behind loads of other models."""
    busy, other = register(org, "1.0.0"), register(org, "1.1.0")
    serving.cache_clear()
    real, entered, release = serving.artifact_load, threading.Event(), threading.Event()

    def load(**kwargs):
        if kwargs["path"] == busy.artifact_path:
            entered.set()
            release.wait(timeout=10)
        return real(**kwargs)

    monkeypatch.setattr(serving, "artifact_load", load)
    warming = threading.Thread(target=serving.model_load, kwargs={"version": busy})
    warming.start()
    assert entered.wait(timeout=10)
    serving.model_load(version=other)
    assert not model_is_cached(version=busy)  # still loading: `other` did not wait for it
    release.set()
    warming.join(timeout=10)
    assert model_is_cached(version=busy) and model_is_cached(version=other)


@pytest.fixture
def everything_serving(org, other_org):
    """Stable + canary (category), A/B arms beside a displaced stable (priority), a shadow
    (sentiment), and another organization's stable version."""
    versions = {}
    for name in ("1.0.0", "1.1.0"):
        versions[f"category {name}"] = register(org, name)
    services.model_version_deploy(model_version=versions["category 1.0.0"])
    services.model_version_deploy(
        model_version=versions["category 1.1.0"], strategy="canary", percentage=5
    )
    for name in ("1.0.0", "1.1.0", "1.2.0"):
        versions[f"priority {name}"] = register(org, name, task="priority")
    services.model_version_deploy(model_version=versions["priority 1.0.0"])
    services.ab_test_start(
        version_a=versions["priority 1.1.0"], version_b=versions["priority 1.2.0"]
    )
    for name in ("1.0.0", "1.1.0"):
        versions[f"sentiment {name}"] = register(org, name, task="sentiment")
    services.model_version_deploy(model_version=versions["sentiment 1.0.0"])
    services.shadow_start(model_version=versions["sentiment 1.1.0"])
    versions["other 9.0.0"] = register(other_org, "9.0.0")
    services.model_version_deploy(model_version=versions["other 9.0.0"])
    serving.cache_clear()
    return versions


def test_warming_loads_every_version_that_serves_everywhere(everything_serving):
    loaded = serving_warm()
    assert len(loaded) == len(everything_serving) == 8
    assert all(model_is_cached(version=v) for v in everything_serving.values())


def test_the_cache_holds_every_serving_version_of_many_organizations(db):
    """The old cache held 8 models: 5 organizations' stable and canary versions did not fit
    and were reloaded, by turns, on their requests."""
    versions = []
    for i in range(5):
        org = OrganizationFactory()
        stable, candidate = register(org, "1.0.0"), register(org, f"1.{i + 1}.0")
        services.model_version_deploy(model_version=stable)
        services.model_version_deploy(model_version=candidate, strategy="canary", percentage=5)
        versions += [stable, candidate]
    serving.cache_clear()
    serving_warm()
    assert all(model_is_cached(version=v) for v in versions)


def test_warming_more_than_the_cache_holds_says_so(everything_serving, settings, caplog):
    settings.MODEL_REGISTRY_CACHE_SIZE = 3
    with caplog.at_level(logging.WARNING, logger="models_registry.warming"):
        assert len(serving_warm()) == 3
    assert "8 model versions serve but the model cache holds 3" in caplog.text


def test_a_version_that_cannot_load_is_logged_not_raised(org, caplog):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=5)
    corrupt_artifact(v2)
    serving.cache_clear()
    assert serving_warm() == [f"{org.pk}/category/v1.0.0"]
    assert "Cannot warm category v1.1.0" in caplog.text


def test_a_deploy_warms_what_serves_in_the_deploying_process_when_it_commits(
    org, django_capture_on_commit_callbacks
):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    serving.cache_clear()  # e.g. an admin process that never served v1.0.0
    with django_capture_on_commit_callbacks(execute=True):
        services.model_version_deploy(model_version=v2, strategy="canary", percentage=5)
    assert model_is_cached(version=v1) and model_is_cached(version=v2)


@pytest.mark.django_db(transaction=True)
def test_warming_in_the_background_does_not_hold_up_the_caller(org, slow_loads):
    version = register(org, "1.0.0")
    services.model_version_deploy(model_version=version)
    serving.cache_clear()
    started = time.perf_counter()
    thread = serving_warm_in_background()
    assert time.perf_counter() - started < LOAD_SECONDS
    thread.join(timeout=30)
    assert not thread.is_alive() and model_is_cached(version=version)


def test_web_and_worker_processes_warm_when_they_start(monkeypatch):
    started = []
    monkeypatch.setattr(
        "models_registry.warming.serving_warm_in_background", lambda: started.append(1)
    )
    sys.modules.pop("config.wsgi", None)
    importlib.import_module("config.wsgi")  # what gunicorn and runserver import
    assert started == [1]
    worker_process_init.send(sender=None)  # a Celery worker process starting
    assert started == [1, 1]


@pytest.mark.django_db(transaction=True)
def test_background_warming_holds_no_database_connection_while_it_loads(org, monkeypatch):
    """A process forked during the loads (the worker's embedded beat) must not inherit an
    open connection: the warming thread closes its own before it loads."""
    from models_registry import warming

    version = register(org, "1.0.0")
    services.model_version_deploy(model_version=version)
    serving.cache_clear()
    events = []
    close_all = warming.connections.close_all

    def close():
        events.append("close")
        close_all()

    def load(**kwargs):
        events.append("load")
        return serving.model_load(**kwargs)

    monkeypatch.setattr(warming.connections, "close_all", close)
    monkeypatch.setattr(warming, "model_load", load)
    serving_warm_in_background().join(timeout=30)
    assert events == ["close", "load"] and model_is_cached(version=version)
