"""Warm this process's model cache with every version that serves, so no request waits for
a model load: when a web or worker process starts (config/wsgi.py, config/celery.py) and
when a deploy commits (in the deploying process). Other processes load a newly deployed
version on their next request for it, and `inference_serve` keeps that load out of the
inference latency."""

import logging
import threading
import time

from django.db import connections

from models_registry.choices import ServingRole
from models_registry.selectors.traffic import serving_list, serving_list_everywhere
from models_registry.serving import ServingError, cache_size, model_load

logger = logging.getLogger(__name__)


def serving_warm(*, organization_id: int | None = None, task: str | None = None) -> list[str]:
    """Load every serving version (of one organization's task, or everywhere), live roles
    before shadows and larger shares first, at most as many as the cache holds; returns what
    is loaded. A version that cannot load is logged and left to its requests' fallback."""
    return _load(_serving_versions(organization_id=organization_id, task=task))


def _serving_versions(*, organization_id: int | None, task: str | None) -> list:
    if organization_id is None:
        entries = serving_list_everywhere()
    else:
        entries = serving_list(organization=organization_id, task=task)
    entries.sort(key=lambda e: (e.role == ServingRole.SHADOW, -e.traffic_percentage))
    versions = list({e.version.pk: e.version for e in entries}.values())
    if len(versions) > cache_size():
        logger.warning(
            "%d model versions serve but the model cache holds %d: the rest load on their "
            "first request. Raise MODEL_REGISTRY_CACHE_SIZE or split organizations across "
            "workers.",
            len(versions),
            cache_size(),
        )
        versions = versions[: cache_size()]
    return versions


def _load(versions: list) -> list[str]:
    loaded = []
    for version in versions:
        try:
            model_load(version=version)
        except ServingError as error:
            logger.error("Cannot warm %s %s: %s", version.task, version.version, error)
            continue
        loaded.append(f"{version.organization_id}/{version.task}/{version.version}")
    return loaded


def _warm(*, organization_id: int | None = None, task: str | None = None) -> None:
    started = time.perf_counter()
    try:
        versions = _serving_versions(organization_id=organization_id, task=task)
    except Exception:  # noqa: BLE001 - e.g. not migrated yet: requests load on demand
        logger.exception("Warming the model cache failed")
        return
    finally:
        # This thread's connections, closed before the loads, which take seconds: a process
        # forked meanwhile (the Celery worker's embedded beat) must not inherit an open one.
        # On SQLite the child's copy, once closed, drops that process's file locks, so
        # another process deletes the WAL index beat reads ("disk I/O error" in beat, seen
        # under `make run`); on PostgreSQL the copy shares the parent's socket.
        connections.close_all()
    loaded = _load(versions)
    logger.info("Warmed %d model versions in %.1f s", len(loaded), time.perf_counter() - started)


def serving_warm_in_background(**scope) -> threading.Thread:
    """`serving_warm` in a daemon thread, so a starting process is not held up by it."""
    thread = threading.Thread(target=_warm, kwargs=scope, name="model-warm", daemon=True)
    thread.start()
    return thread
