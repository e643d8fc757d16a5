"""The Content Security Policy in a real browser: closedloop's own scripts run, a script smuggled
into the page does not. The page and its header come from Django with the policy on; Chromium
enforces the header as it would from the server."""

import pytest
from django.test import Client

from closedloop.config import security

pytestmark = pytest.mark.browser
CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
INJECT = """() => new Promise(resolve => {
  const s = document.createElement('script');
  s.textContent = 'window.__injected = 1';
  document.body.appendChild(s);
  const holder = document.createElement('div');
  holder.innerHTML = '<img src="data:," onerror="window.__handler = 1">';
  document.body.appendChild(holder);
  setTimeout(() => resolve({script: window.__injected === 1, handler: window.__handler === 1,
                            htmx: typeof window.htmx === 'object'}), 300);
})"""


def _serve_through_django(tab, live_server, with_policy: bool, settings):
    middleware = [m for m in settings.MIDDLEWARE if m != CSP_MIDDLEWARE]
    settings.MIDDLEWARE = [middleware[0], CSP_MIDDLEWARE, *middleware[1:]] if with_policy else middleware
    settings.SECURE_CSP = security.SECURE_CSP

    def fulfil(route):
        response = Client().get("/accounts/login/")
        headers = {k: v for k, v in response.items() if k.lower() != "content-length"}
        route.fulfill(status=response.status_code, headers=headers, body=response.content)

    tab.route(f"{live_server.url}/accounts/login/", fulfil)
    tab.goto(f"{live_server.url}/accounts/login/")


@pytest.mark.django_db(transaction=True)
def test_injected_script_does_not_run_under_the_policy(page, live_server, settings):
    _serve_through_django(page, live_server, True, settings)
    assert page.evaluate(INJECT) == {"script": False, "handler": False, "htmx": True}


@pytest.mark.django_db(transaction=True)
def test_without_the_policy_the_same_injection_runs(page, live_server, settings):
    # The control: proves the probe above can see a script run.
    _serve_through_django(page, live_server, False, settings)
    assert page.evaluate(INJECT) == {"script": True, "handler": True, "htmx": True}
