"""Security settings: Content Security Policy, cookies, HTTPS, login lockout and API limits.

Plain assignments read from the same environment variables as config/settings.py, which includes
them at its end with `from closedloop.config.security import *` so that these values win."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

_DEBUG = os.environ.get("CLOSEDLOOP_DEBUG", "0") == "1"
_HTTPS = not _DEBUG and os.environ.get("CLOSEDLOOP_HTTPS", "0") == "1"

# A production installation (HTTPS on) must not run with the development key from settings.py:
# anyone who read the source could forge sessions and password-reset links.
if _HTTPS and not os.environ.get("CLOSEDLOOP_SECRET_KEY"):
    raise ImproperlyConfigured("CLOSEDLOOP_SECRET_KEY must be set when CLOSEDLOOP_HTTPS=1")

# Content Security Policy (Django's ContentSecurityPolicyMiddleware sends it). Scripts only from our
# own static files: HTMX and Chart.js are vendored and no template has inline script, so an injected
# <script> or on*= attribute does not run. Inline style attributes stay allowed because templates use
# them for widths of progress and funnel bars; styles cannot run code.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Cookies: never readable from JavaScript (HTMX sends the CSRF token from the page, not the cookie),
# sent only over HTTPS in production, and not on cross-site subrequests.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
# A stolen laptop's session should not outlive a working week.
SESSION_COOKIE_AGE = int(os.environ.get("CLOSEDLOOP_SESSION_SECONDS", 5 * 24 * 3600))

SECURE_SSL_REDIRECT = _HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
# Preloading commits the whole domain to HTTPS in browsers for months and cannot be undone quickly;
# an operator opts in for their own domain.
SECURE_HSTS_PRELOAD = _HTTPS and os.environ.get("CLOSEDLOOP_HSTS_PRELOAD", "0") == "1"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Behind a TLS-terminating proxy the app sees plain HTTP; trust the proxy's header only when told to,
# or SECURE_SSL_REDIRECT would loop.
if os.environ.get("CLOSEDLOOP_TRUST_X_FORWARDED_PROTO", "0") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Login rate limiting and lockout (accounts/login_guard.py), per username and client address.
AUTHENTICATION_BACKENDS = ["closedloop.accounts.login_guard.GuardedModelBackend"]
LOGIN_GUARD_MAX_FAILURES = int(os.environ.get("CLOSEDLOOP_LOGIN_MAX_FAILURES", "5"))
LOGIN_GUARD_WINDOW_SECONDS = int(os.environ.get("CLOSEDLOOP_LOGIN_WINDOW_SECONDS", "900"))
LOGIN_GUARD_LOCKOUT_SECONDS = int(os.environ.get("CLOSEDLOOP_LOGIN_LOCKOUT_SECONDS", "900"))
# Several server processes must share the counters: point this at a shared cache (CACHES) there.
LOGIN_GUARD_CACHE = os.environ.get("CLOSEDLOOP_LOGIN_GUARD_CACHE", "default")

# List endpoints: a page larger than this is refused with 422 instead of asking the database for
# billions of rows (and failing with an integer overflow).
NINJA_PAGINATION_MAX_LIMIT = 1000
