"""Chromium for the tests that drive the admin in a real browser: Debian's chromium
(/usr/bin/chromium, installed by `make browser`), driven by Playwright's sync API.
The fixtures (``chromium_browser``, ``chromium_page``) are in conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

# Without the background-networking flags Chromium keeps trying hosts this closed
# network refuses; as root it needs --no-sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # While Playwright's loop runs, Django keeps this thread's connection in
            # context-local storage that outlives the test; close it here, or the
            # test database cannot be dropped at the end of the run.
            connections.close_all()


def new_page(browser: Browser, *, width: int = 1400, height: int = 1000, **options) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height}, **options)
    page.set_default_timeout(15_000)
    return page


def logged_in(browser: Browser, live_server, username: str, **options) -> Page:
    """A new page logged into the admin as ``username`` (made by UserFactory)."""
    page = new_page(browser, **options)
    log_in(page, live_server, username)
    return page


def log_in(page: Page, live_server, username: str) -> None:
    """Log ``page`` into the admin as ``username`` (made by UserFactory), through its login form."""
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)


def choose(page: Page, select_id: str, typed: str, option: str) -> None:
    """Pick an option in one of the admin's autocomplete (select2) widgets."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()
    # Opened, the list shows its first page unfiltered; wait for the typed search's own
    # answer, or the click could land on that first page (or find nothing yet).
    with page.expect_response(lambda response: searched_for(response.url, typed)):
        page.locator(".select2-container--open .select2-search__field").fill(typed)
    page.locator(".select2-results__option", has_text=option).click()


def searched_for(url: str, typed: str) -> bool:
    """Whether ``url`` is the admin's autocomplete asked for ``typed``."""
    parts = urlsplit(url)
    return parts.path.endswith("/autocomplete/") and parse_qs(parts.query).get("term") == [typed]
