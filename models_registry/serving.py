"""Loading models for serving: one cache per process, keyed by version and artifact hash.

Artifacts are immutable, so a deploy never changes a cached entry: routing simply starts
naming another version, which is loaded completely before it is published in the cache.
`warming` fills the cache with every serving version when a process starts.

The cache holds `MODEL_REGISTRY_CACHE_SIZE` models (default 64), least recently used out
first. Every version that serves must fit, or requests pay for reloads: an organization's
task has at most four (stable or arm A, candidate or arm B, a stable displaced by an A/B
test, a shadow), so 64 is every task of 16 busy organizations, or of far more that serve
one version a task. The demo's models take 4 to 10 MB each in memory (tracemalloc: category
9.9, priority and sentiment 7.1, the reply retriever 4.1), so a full cache is about 0.6 GB
per process; beyond that, give organizations their own workers."""

import contextlib
import logging
import threading
import time
import weakref
from collections import OrderedDict

import sklearn
from django.conf import settings

from aiops.exceptions import DomainError
from models_registry.artifacts import ArtifactIntegrityError, artifact_load
from models_registry.choices import VersionKind
from models_registry.models import ModelVersion
from models_registry.scoring import scorer_for

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 64
# A version that failed to load is not retried for this long (per process): a corrupt
# artifact on a canary must not be read and hashed again on every one of its requests.
LOAD_RETRY_SECONDS = 30.0

_cache: OrderedDict[tuple[int, str], object] = OrderedDict()
_failures: dict[tuple[int, str], tuple[float, str]] = {}
_loading: dict[tuple[int, str], threading.Lock] = {}
_lock = threading.Lock()  # guards the three dicts; never held during a load
VERSION_CACHE_SIZE = 256
_versions: dict[int, ModelVersion] = {}
# Each loaded model's direct scorer (models_registry.scoring), or None where it has none.
_scorers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class ServingError(Exception):
    """A version cannot serve here: external, without an artifact, or its artifact is
    missing, fails its hash or trusted-types check, or does not load."""


class ModelUnavailable(DomainError):
    """Neither the routed version nor the stable version could answer (503, never a 500)."""

    status_code = 503
    code = "model_unavailable"


def cache_size() -> int:
    return int(getattr(settings, "MODEL_REGISTRY_CACHE_SIZE", DEFAULT_CACHE_SIZE))


def model_version_cached(*, pk: int) -> ModelVersion:
    """A version row for serving, read once per process. Only its immutable serving fields
    (task, semver, artifact, prices) may be relied on: status, metrics and tags can be stale."""
    version = _versions.get(pk)
    if version is None:
        version = ModelVersion.objects.get(pk=pk)
        if len(_versions) >= VERSION_CACHE_SIZE:
            _versions.clear()
        _versions[pk] = version
    return version


def _read(version: ModelVersion):
    if version.kind == VersionKind.EXTERNAL:
        raise ServingError(
            f"it is an external model ({version.provider} {version.external_model_id}), "
            "whose answers come from its provider: log them with POST /api/ai/inference-logs"
        )
    if not version.artifact_path:
        raise ServingError("it has no artifact (register it with a fitted model)")
    try:
        return artifact_load(path=version.artifact_path, sha256=version.artifact_sha256)
    except FileNotFoundError as error:
        raise ServingError(f"its artifact {version.artifact_path} is missing") from error
    except ArtifactIntegrityError as error:
        raise ServingError(f"its artifact fails its checks ({error})") from error
    except Exception as error:  # noqa: BLE001 - whatever the reason, it cannot serve
        raise ServingError(
            f"its artifact {version.artifact_path} does not load: {type(error).__name__}: {error}"
        ) from error


def model_load(*, version: ModelVersion, retry_failed: bool = False):
    """The version's model from this process's cache, loaded (and verified) on first use.
    Raises ServingError when it cannot serve; a failure is remembered LOAD_RETRY_SECONDS
    unless `retry_failed` (a deploy's check always tries again). Each version loads once at
    a time under its own lock: a request waits for its model's load only, never for the
    loads of others (the start-up warming's, say)."""
    key = (version.pk, version.artifact_sha256)
    model = _cache.get(key)
    if model is not None:
        # Least recently used goes first; evicted meanwhile by another thread, it is still
        # the right model.
        with contextlib.suppress(KeyError):
            _cache.move_to_end(key)
        return model
    with _lock:
        loading = _loading.setdefault(key, threading.Lock())
    with loading:
        model = _cache.get(key)
        if model is not None:  # loaded by the thread this one waited for
            return model
        failed = _failures.get(key)
        recent = failed is not None and time.monotonic() - failed[0] < LOAD_RETRY_SECONDS
        if recent and not retry_failed:
            raise ServingError(failed[1])
        started = time.perf_counter()
        try:
            model = _read(version)
            scorer(model)  # built with the load, not on the first request
        except ServingError as error:
            with _lock:
                _failures[key] = (time.monotonic(), str(error))
                _loading.pop(key, None)
            raise
        with _lock:
            _failures.pop(key, None)
            _cache[key] = model
            while len(_cache) > cache_size():
                _cache.popitem(last=False)
            _loading.pop(key, None)
    logger.info(
        "Loaded %s %s in %.0f ms",
        version.task,
        version.version,
        (time.perf_counter() - started) * 1000,
    )
    return model


def model_is_cached(*, version: ModelVersion) -> bool:
    return (version.pk, version.artifact_sha256) in _cache


def scorer(model):
    """The model's direct scorer (`models_registry.scoring`), built once per loaded model;
    None for a model of another shape, which then predicts through predict_proba."""
    try:
        return _scorers[model]
    except KeyError:
        pass
    except TypeError:  # a model that cannot be weakly referenced: no scorer, no cache
        return None
    try:
        built = scorer_for(model)
    except Exception:  # noqa: BLE001 - a model the scorer misreads still serves
        logger.exception("No direct scorer for a %s: predict_proba serves it", type(model))
        built = None
    _scorers[model] = built
    return built


def predict_label(model, text: str) -> tuple[str, float]:
    """Top label of a loaded classifier and its calibrated probability."""
    score = scorer(model)
    if score is not None:
        proba = score(text)
    else:
        # A fitted model and one string: scikit-learn's input and parameter checks find
        # nothing here, and skipping them is 0.82x the time of a fast-profile prediction.
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            proba = model.predict_proba([text])[0]
    best = int(proba.argmax())
    return str(model.classes_[best]), float(proba[best])


def classify_text(*, version: ModelVersion, text: str) -> tuple[str, float]:
    """Top label and its calibrated probability."""
    return predict_label(model_load(version=version), text)


def cache_clear() -> None:
    with _lock:
        _cache.clear()
        _failures.clear()
        _loading.clear()
        _versions.clear()
