"""Browser tests: Playwright drives a headless chromium from the machine (Debian's package,
through its executable path: no browser download) against pytest-django's live server.

Where no chromium (or no playwright) is found, every test here is skipped with that reason,
and the run's summary says so (root conftest)."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in this thread; the live server's ORM calls happen
# in its own thread, but the test's own ORM calls would otherwise be refused.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SKIP_REASON = (
    "browser tests skipped: no chromium found (apt-get install chromium, or set AIOPS_CHROMIUM)"
)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PASSWORD = "console-pass-1"


def chromium_path() -> str | None:
    configured = os.environ.get("AIOPS_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        if os.environ.get("AIOPS_REQUIRE_BROWSER"):  # CI: a missing chromium is a failure
            pytest.fail(SKIP_REASON.replace("skipped", "required"))
        pytest.skip(SKIP_REASON)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests skipped: the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshots() -> Path:
    """The git-ignored folder the screenshots land in (test-artifacts/browser/)."""
    folder = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def console(browser, live_server, trained_org):
    """A page logged in to the admin as a staff admin of `trained_org` (not a superuser)."""
    from django.contrib.auth.models import Permission

    from tests.factories import MembershipFactory

    user = MembershipFactory(organization=trained_org, role="admin").user
    user.is_staff = True
    user.set_password(PASSWORD)
    user.save()
    user.user_permissions.set(Permission.objects.all())
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    yield page
    context.close()
