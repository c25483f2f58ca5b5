"""Settings shared by every environment; read from environment variables only."""

from importlib.util import find_spec
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "aiops",
    "models_registry",
    "training",
    "feedback",
    "metrics",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered before anything else (whatever the Host header says).
    "aiops.api.health.HealthMiddleware",
    # Outermost otherwise, so every error under /api/ (including other middleware's) is JSON.
    "aiops.api.errors.JsonErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (admin, API docs, console charts) served by the app server itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'aiops.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process, the worker and beat share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The same backend, with a health check that asks the socket, not the server.
        DATABASES["default"]["ENGINE"] = "aiops.postgresql"
    # Server-side binding sends parameters apart from the SQL, so a statement a connection
    # runs again has the same text and psycopg prepares it after `prepare_threshold` runs:
    # PostgreSQL then skips parsing and planning it (about 0.5 ms of a 0.7 ms lookup with
    # joins here). Turn it off behind a transaction-pooling PgBouncer older than 1.21.
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=env.int("DB_PREPARE_THRESHOLD", default=2)
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
# Redis when configured (production requires it: counters and locks shared by processes);
# the embedded default runs one web process, so a per-process cache is enough there.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Only for `collectstatic` (optional: whitenoise serves from the finders).
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default=None)
# plotly.js, from the installed plotly package (the console's charts): no CDN.
STATICFILES_DIRS = [("vendor/plotly", Path(find_spec("plotly").origin).parent / "package_data")]
# gunicorn serves them through the finders: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True

# Model artifacts: shared storage when scaled out (a mounted volume).
ARTIFACT_ROOT = Path(env("AIOPS_ARTIFACT_ROOT", default=str(VAR_DIR / "artifacts")))

# Celery: Redis when configured; otherwise the filesystem transport (no broker server) with a
# worker and beat that `make run` starts, so tasks and periodic checks really run.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue = Path(env("CELERY_FILESYSTEM_FOLDER", default=str(VAR_DIR / "celery")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "out"),
        "data_folder_out": str(_queue / "out"),
        "processed_folder": str(_queue / "processed"),
        "control_folder": str(_queue / "control"),  # exchange bindings (not the work tree)
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# Beat's schedule lives in the database (django-celery-beat), edited in the admin; the code's
# schedule (config/celery.py) is synced into it each time beat starts (aiops/beat.py).
CELERY_BEAT_SCHEDULER = "aiops.beat:CodeDefinedScheduler"
CELERY_TIMEZONE = TIME_ZONE
# Fits (training runs, label-noise checks) have their own queue and worker, so the feedback
# sweep, the retrain check and the guardrails on the default queue never wait behind one.
CELERY_TASK_ROUTES = {
    "training.tasks.training_run_execute_task": {"queue": "training"},
    "training.tasks.label_noise_detect_task": {"queue": "training"},
}
# A fit's time limit in seconds; the soft limit (5% earlier) lets the run record why it
# stopped. The reaper fails a run still `running` past the limit plus the grace (its worker
# died), and a queued one overtaken by a later run (its message was lost) or queued past the
# queue timeout.
AIOPS_TRAINING_TIME_LIMIT = env.int("AIOPS_TRAINING_TIME_LIMIT", default=3600)
AIOPS_TRAINING_SOFT_TIME_LIMIT = env.int(
    "AIOPS_TRAINING_SOFT_TIME_LIMIT",
    default=AIOPS_TRAINING_TIME_LIMIT - max(1, AIOPS_TRAINING_TIME_LIMIT // 20),
)
AIOPS_TRAINING_REAP_GRACE = env.int("AIOPS_TRAINING_REAP_GRACE", default=300)
AIOPS_TRAINING_QUEUE_TIMEOUT = env.int("AIOPS_TRAINING_QUEUE_TIMEOUT", default=6 * 3600)
# /readyz fails when beat's every-minute heartbeat is older than this.
# Drift thresholds (metrics): Jensen-Shannon distance of the predicted classes against the
# training labels, PSI of the confidences against the holdout's (NannyML / Evidently defaults).
AIOPS_DRIFT_JS_WARN = env.float("AIOPS_DRIFT_JS_WARN", default=0.1)
AIOPS_DRIFT_JS_ALERT = env.float("AIOPS_DRIFT_JS_ALERT", default=0.2)
AIOPS_DRIFT_PSI_MODERATE = env.float("AIOPS_DRIFT_PSI_MODERATE", default=0.1)
AIOPS_DRIFT_PSI_MAJOR = env.float("AIOPS_DRIFT_PSI_MAJOR", default=0.25)
# Fewer predictions than this in the window: drift is shown, never flagged.
AIOPS_DRIFT_MIN_PREDICTIONS = env.int("AIOPS_DRIFT_MIN_PREDICTIONS", default=100)
# The metrics API caches its reads of closed (rolled-up) hours, and whole answers until the
# data under them changes, where the cache is shared by every process (Redis), so a rebuild in
# the worker retires them everywhere; not in a per-process cache, where it could not.
AIOPS_METRICS_CACHE = env.bool("AIOPS_METRICS_CACHE", default=bool(REDIS_URL))
# GET /metrics (Prometheus text format) answers only this bearer token; off while unset.
AIOPS_PROMETHEUS_TOKEN = env("AIOPS_PROMETHEUS_TOKEN", default="")
AIOPS_PROMETHEUS_CACHE_SECONDS = env.int("AIOPS_PROMETHEUS_CACHE_SECONDS", default=10)
AIOPS_BEAT_HEARTBEAT_MAX_AGE_SECONDS = env.int("AIOPS_BEAT_HEARTBEAT_MAX_AGE_SECONDS", default=180)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["aiops.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["aiops.api.permissions.IsMember"],
    "DEFAULT_RENDERER_CLASSES": ["djangorestframework_camel_case.render.CamelCaseJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["djangorestframework_camel_case.parser.CamelCaseJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["aiops.api.filters.CamelCaseFilterBackend"],
    # ?limit= is capped at Pagination.max_limit (500).
    "DEFAULT_PAGINATION_CLASS": "aiops.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "aiops.api.errors.json_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
JSON_UNDERSCOREIZE = {"no_underscore_before_number": True}

SPECTACULAR_SETTINGS = {
    "TITLE": "aiops API",
    "DESCRIPTION": "Continuous learning for helpdesk AI: classify, suggest, feedback, train, "
    "deploy, A/B test, metrics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "CAMELIZE_NAMES": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
        "aiops.api.schema.camelize_query_parameters",
        "aiops.api.schema.document_errors",
    ],
    # The docs page's Swagger UI is served from static files (drf-spectacular-sidecar): the
    # machines are offline, and a CDN would leave /api/docs/ blank.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Failed bearer authentications allowed per window (5 minutes) before 429 with Retry-After:
# per client address, and per address and presented token. A valid token is never refused.
AUTH_FAILURE_LIMIT = env.int("AIOPS_AUTH_FAILURE_LIMIT", default=20)
AUTH_FAILURE_KEY_LIMIT = env.int("AIOPS_AUTH_FAILURE_KEY_LIMIT", default=5)
AUTH_FAILURE_WINDOW_SECONDS = 300
# Reverse proxies (addresses or CIDRs) whose X-Forwarded-For names the client; empty: the
# client is REMOTE_ADDR. List only proxies that append the address they saw.
AIOPS_TRUSTED_PROXIES = env.list("AIOPS_TRUSTED_PROXIES", default=[])
# How long a resolved API token is cached (0: read it from the database on every request);
# revoking it, or changing its membership, user or organization, evicts it at once.
AIOPS_TOKEN_CACHE_SECONDS = env.int("AIOPS_TOKEN_CACHE_SECONDS", default=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}
