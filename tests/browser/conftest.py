"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.
The `browser` and `page` fixtures live in the root conftest.py, shared with the apps' browser tests."""
