import os
import uuid

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, CACHES, env

SECRET_KEY = "test-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
ARTIFACT_ROOT = BASE_DIR / "var" / "test-artifacts"
if env("REDIS_URL", default=""):
    # Each test process gets its own key space on the shared Redis.
    CACHES["default"]["KEY_PREFIX"] = (
        f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:8]}"
    )
