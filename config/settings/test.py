import os
from urllib.parse import urlsplit, urlunsplit

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, CACHES, env

SECRET_KEY = "test-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
ARTIFACT_ROOT = BASE_DIR / "var" / "test-artifacts"
if env("REDIS_URL", default=""):
    # Each test process gets its own Redis database: every test starts with cache.clear(),
    # a FLUSHDB, which on a shared database would wipe the other xdist worker's keys mid-test.
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    _offset = 1 + int(_worker[2:]) if _worker.startswith("gw") else 0
    _url = urlsplit(CACHES["default"]["LOCATION"])
    _db = (int(_url.path.strip("/") or 0) + _offset) % 16
    CACHES["default"]["LOCATION"] = urlunsplit(_url._replace(path=f"/{_db}"))
