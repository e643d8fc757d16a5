"""The settings as they are once config/settings.py includes config/security.py and the CSP
middleware: lets the deploy check and the headers be tested before and after that wiring."""

from closedloop.config.security import *  # noqa: F403
from closedloop.config.settings import *  # noqa: F403
from closedloop.config.settings import MIDDLEWARE

CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
if CSP_MIDDLEWARE not in MIDDLEWARE:
    MIDDLEWARE = [MIDDLEWARE[0], CSP_MIDDLEWARE, *MIDDLEWARE[1:]]
