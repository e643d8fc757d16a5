"""ASGI entry point (used by `closedloop serve`)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "closedloop.config.settings")
application = get_asgi_application()
