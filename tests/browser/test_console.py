"""The admin console in a real browser (headless chromium): the reviewer's and the ML admin's
main paths, each ending in a screenshot under test-artifacts/browser/."""

import pytest

pytestmark = pytest.mark.browser


def test_log_in_and_see_the_console_links(console, screenshots):
    console.goto(f"{console.base}/admin/")
    assert console.locator("#site-name").count() == 1
    console.screenshot(path=screenshots / "01-admin-index.png", full_page=True)
