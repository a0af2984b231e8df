"""End-to-end fixtures: the web app in headless Chromium (Playwright) against the real
local server, on METHOD.md's worked example calculated for two sites (the footprint
fixtures). One browser for the session, a fresh context (empty session storage) per test;
screenshots go to ``out/test-artifacts/e2e/`` (git-ignored).

Chromium is the system's (``PCF_CHROMIUM``, default ``/usr/bin/chromium``), never one
downloaded by ``playwright install``; without it these tests are skipped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from sqlalchemy.engine import Engine

from pcf.api.auth import Role
from pcf.api.local_server import LocalServer
from tests.integration.conftest import db, engine  # noqa: F401 - fixtures used here
from tests.integration.footprints.conftest import TwoSites, two_sites  # noqa: F401

CHROMIUM = Path(os.environ.get("PCF_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "out" / "test-artifacts" / "e2e"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives the web app in a headless browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (set PCF_CHROMIUM)")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # this run's screenshots only
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def web_server(db: Engine, two_sites: TwoSites, tmp_path: Path) -> Iterator[LocalServer]:  # noqa: F811
    local = LocalServer(db, b"test secret", objects_dir=tmp_path / "objects", port=0)
    with local.running():
        yield local


class WebApp:
    """A browser tab on the web app, and what the browser reported along the way."""

    def __init__(self, page: Page, server: LocalServer, name: str) -> None:
        self.page = page
        self.server = server
        self.name = name
        self.console_errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def sign_in(self, role: Role) -> None:
        """Sign in with a token the server issued, as ``pcf serve --token ROLE`` prints."""
        self.page.goto(self.server.url + "/")
        self.page.fill("#token", self.server.tokens.issue(f"e2e-{role.value}", [role]))
        self.page.click("#sign-in button[type=submit]")
        self.wait_for_view("/")

    def open(self, route: str) -> None:
        self.page.goto(f"{self.server.url}/app/#{route}")
        self.wait_for_view(route.split("?")[0])

    def wait_for_view(self, path: str) -> None:
        self.page.wait_for_selector(f'#view[data-ready="{path}"]', timeout=10_000)

    def screenshot(self, label: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def chart_points(self, canvas_id: str) -> int:
        """How many values the Chart.js chart on this canvas holds (0: no chart)."""
        count: int = self.page.evaluate(
            """id => {
                const chart = Chart.getChart(document.getElementById(id));
                return chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0;
            }""",
            canvas_id,
        )
        return count

    def canvas_is_drawn(self, canvas_id: str) -> bool:
        """Some pixel of the canvas is not transparent."""
        drawn: bool = self.page.evaluate(
            """id => {
                const canvas = document.getElementById(id);
                const pixels = canvas.getContext("2d")
                    .getImageData(0, 0, canvas.width, canvas.height).data;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
                return false;
            }""",
            canvas_id,
        )
        return drawn


@pytest.fixture
def web_app(
    browser: Browser, web_server: LocalServer, request: pytest.FixtureRequest
) -> Iterator[WebApp]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    app = WebApp(context.new_page(), web_server, request.node.name)
    try:
        yield app
    finally:
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            app.screenshot("failure")
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # keeps the call's report on the test, so the fixture can screenshot a failure
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
