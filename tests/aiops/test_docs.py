"""/api/docs/ works offline: Swagger UI's scripts and styles are the project's static files."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles.views import serve
from django.test import RequestFactory
from rest_framework.test import APIClient


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_docs_page_loads_every_asset_from_the_project():
    page = APIClient().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    parser = _Assets()
    parser.feed(html)
    assert {url.rsplit(".", 1)[-1] for url in parser.urls} >= {"js", "css"}
    assert not re.search(r"https?://|//cdn", html), "the page names an external host"
    static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    for url in parser.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url
        assert parts.path.startswith(static_prefix), url
        # As runserver serves static files (DEBUG on, `make run`).
        path = parts.path.removeprefix(static_prefix)
        response = serve(RequestFactory().get(parts.path), path, insecure=True)
        assert response.status_code == 200, url
        assert len(b"".join(response.streaming_content)) > 100, url
