"""Browser fixtures, shared by every test that drives a page (registered in tests/conftest.py): Debian's Chromium
driven by Playwright (sync API) against Django's live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium with a fresh profile for every test.
Every request the page makes is routed through a guard; anything not addressed to the live server is refused and
fails the test, so a CDN font, script or tracker cannot creep into the portal unnoticed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import need

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROJECT_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_DIR / "test-artifacts"
DESKTOP = {"width": 1280, "height": 800}
# Schemes that never leave the page (inline data, blobs, the blank page) need no server.
LOCAL_SCHEMES = {"data", "blob", "about"}

# The sync API keeps an asyncio loop on the main thread; the ORM calls the tests make there (loading the demo,
# reading a TOTP key) are plain synchronous code, so Django's guard against calling it from async code must not trip.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    """Every test that starts Chromium carries the `browser` mark, wherever it lives."""
    for item in items:
        if "playwright_sync" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_sync() -> Iterator[object]:
    need(CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


def restore_migration_rows() -> None:
    """Put back the rows the migrations wrote that the pages need: Wagtail's default locale and root page, the
    library's categories, topics and industries. Idempotent.

    A transactional test empties every table when it ends (Django re-creates only the content types and
    permissions). Django's serialised rollback would restore them, but not once Playwright's sync API runs: its
    event loop, marked as running on the main thread, makes asgiref keep Django's connections per context, and
    the connection that holds the serialised contents is no longer the one the next test uses."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page

    from dangjian.education import seed
    from dangjian.education.models import Category, Industry, Topic

    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if not Page.get_first_root_node():
        Page.add_root(title="Root", slug="root")
    seed.load(Category, Topic, Industry)


@pytest.fixture
def server(live_server, transactional_db) -> str:
    """The live server's base URL, e.g. http://localhost:40123, on a database holding the migrations' rows."""
    restore_migration_rows()
    return live_server.url.rstrip("/")


@pytest.fixture
def browser(playwright_sync, tmp_path) -> Iterator[object]:
    """A Chromium context on a fresh user-data-dir (no cookies, cache or settings carried between tests)."""
    context = playwright_sync.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=DESKTOP,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser, server) -> Iterator[object]:
    """A page whose every request must go to the live server; the test fails on any other."""
    allowed = urlsplit(server).netloc
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES or parts.netloc == allowed:
            route.continue_()
        else:
            outside.append(url)
            route.abort("blockedbyclient")

    browser.route("**/*", guard)
    page = browser.pages[0] if browser.pages else browser.new_page()
    refused: list[str] = []
    # Chromium reports what the Content-Security-Policy blocks (an inline style or script) on the console.
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    if outside:
        pytest.fail(f"the page requested addresses outside the live server: {sorted(set(outside))}")
    if refused:
        pytest.fail(f"the Content-Security-Policy blocked parts of the page: {refused[:5]}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
