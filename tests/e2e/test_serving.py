"""The local server serves ``web/`` at ``/`` and ``/app/...``: the right content types,
the security headers, and nothing outside ``web/``. (No browser needed.)"""

from __future__ import annotations

import http.client
import urllib.parse
from pathlib import Path

import pytest

from pcf.api.local_server import WEB_DIR, LocalServer, web_file
from tests.integration.api.conftest import http as http_request


def raw_get(server: LocalServer, path: str) -> int:
    """The status of a GET sent with ``path`` exactly as written (no client clean-up)."""
    netloc = urllib.parse.urlsplit(server.url).netloc
    connection = http.client.HTTPConnection(netloc, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.integration
def test_the_app_is_served_with_its_content_types_and_csp(web_server: LocalServer) -> None:
    # When the browser asks for the app and its files
    index = http_request("GET", web_server.url + "/")
    script = http_request("GET", web_server.url + "/app/js/main.js")
    chart = http_request("GET", web_server.url + "/app/vendor/chart.umd.min.js")

    # Then each comes with its type, and the page with a policy admitting no inline code
    assert index.status == 200 and index.headers["Content-Type"].startswith("text/html")
    assert b'<main id="view"' in index.body
    assert "script-src 'self'" in index.headers["Content-Security-Policy"]
    assert index.headers["X-Content-Type-Options"] == "nosniff"
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert chart.status == 200 and b"Chart.js v4.6.1" in chart.body[:200]
    assert http_request("GET", web_server.url + "/app/").body == index.body

    # And the API beside it still wants its token
    assert http_request("GET", web_server.url + "/products").status == 401


@pytest.mark.integration
@pytest.mark.parametrize(
    "path",
    [
        "/app/../pyproject.toml",
        "/app/%2e%2e/pyproject.toml",
        "/app/js/..%2f..%2fpyproject.toml",
        "/app/..%5c..%5cpyproject.toml",
        "/app//etc/passwd",
        "/app/%00index.html",
        "/app/README.md",  # inside web/, but not a type the app serves
        "/app/.gitkeep",
        "/app/js",  # a folder
        "/app/nothing.js",
    ],
)
def test_nothing_outside_web_or_of_unknown_type_is_served(
    web_server: LocalServer, path: str
) -> None:
    assert raw_get(web_server, path) == 404


def test_web_file_refuses_a_link_out_of_the_folder(tmp_path: Path) -> None:
    # Given a web folder with a page and a symbolic link to a file outside it
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html>")
    (tmp_path / "secret.js").write_text("secret")
    (web / "link.js").symlink_to(tmp_path / "secret.js")

    # Then the page is served, the link is not
    assert web_file(web, "/") == ((web / "index.html").resolve(), "text/html; charset=utf-8")
    assert web_file(web, "/app/index.html?x=1") is not None
    assert web_file(web, "/app/link.js") is None


def test_the_repository_web_folder_is_the_one_served() -> None:
    assert (WEB_DIR / "index.html").is_file()
