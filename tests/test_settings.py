import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _import_production(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_fail_fast_without_secrets():
    result = _import_production({})
    assert result.returncode != 0
    assert "Missing required environment variables: DJANGO_SECRET_KEY, DATABASE_URL" in (
        result.stderr
    )


def test_production_settings_start_with_everything_set():
    result = _import_production(
        {
            "DJANGO_SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://u@127.0.0.1/db",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DJANGO_ALLOWED_HOSTS": "example.com",
        }
    )
    assert result.returncode == 0, result.stderr
