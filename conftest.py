"""Root test configuration: the same suite runs on SQLite (default) and PostgreSQL (DATABASE_URL)."""

import os
import shutil

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that are not about hashing don't need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Login lockout counters and report caches live in the process cache; one test's failed
    # sign-ins or cached numbers must not leak into the next.
    from django.core.cache import cache

    cache.clear()
    yield


# Browser tests (any app): one Chromium for the whole session, shared by every test that asks for
# `browser` or `page`. A second sync Playwright cannot start while one runs.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Playwright's sync API keeps an event loop in the test thread; Django's ORM refuses to run in a
# thread with a running loop unless told that this is a test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium); ./dev test installs it as root"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    # Load every URL module (and the libraries they import) here, not inside the first request,
    # whose time counts against the browser's navigation timeout.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
