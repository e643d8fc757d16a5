"""Django settings for closedloop, configured from environment variables (12-factor).

DATABASE_URL selects the database (default: SQLite file in ./var). CLOSEDLOOP_DEBUG=1 turns on
debug pages; CLOSEDLOOP_SECRET_KEY must be set in production.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("CLOSEDLOOP_DATA_DIR", Path.cwd() / "var"))

DEBUG = os.environ.get("CLOSEDLOOP_DEBUG", "0") == "1"
# A fixed development key keeps the demo zero-config; production must override it.
SECRET_KEY = os.environ.get(
    "CLOSEDLOOP_SECRET_KEY", "closedloop-insecure-development-key-change-me-0123456789"
)
ALLOWED_HOSTS = os.environ.get("CLOSEDLOOP_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CLOSEDLOOP_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "closedloop.accounts",
    "closedloop.crm",
    "closedloop.tracking",
    "closedloop.imports",
    "closedloop.insights",
    "closedloop.audit",
    "closedloop.agreement",
    "closedloop.alarms",
    "closedloop.handoff",
    "closedloop.notifications",
    "closedloop.sla",
    "closedloop.jobs",
    "closedloop.scoring",
    "closedloop.automation",
    "closedloop.content",
    "closedloop.meetings",
    "closedloop.ops",
    "closedloop.privacy",
    "closedloop.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above everything that reads the database (sessions, the user), so that a lost connection there
    # becomes a clean 503; below the security headers, so that the 503 carries them too.
    "closedloop.config.database_outage.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "closedloop.accounts.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "closedloop.config.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "closedloop.config.wsgi.application"
ASGI_APPLICATION = "closedloop.config.asgi.application"

# One connection per request (CONN_MAX_AGE 0). The server is ASGI: each request's sync code may run
# in a thread of its own and a kept connection belongs to its thread, so kept connections piled up
# until PostgreSQL refused new clients under load (docs/reliability.md). It also means that a
# restarted database is reconnected by the next request without anyone restarting closedloop.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'closedloop.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the dashboard read while an import or ingest writes; IMMEDIATE avoids
    # "database is locked" upgrades from read to write locks under concurrent requests.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("CLOSEDLOOP_TIME_ZONE", "UTC")

# Outgoing email (notifications, SLA breaches, nurture emails). Defaults suit a local relay.
# Django 6.1's MAILERS; code sends through django.core.mail (mailers.default).
MAILERS = {
    "default": {
        "BACKEND": os.environ.get("CLOSEDLOOP_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": os.environ.get("CLOSEDLOOP_EMAIL_HOST", "127.0.0.1"),
            "port": int(os.environ.get("CLOSEDLOOP_EMAIL_PORT", "25")),
            "username": os.environ.get("CLOSEDLOOP_EMAIL_USER", ""),
            "password": os.environ.get("CLOSEDLOOP_EMAIL_PASSWORD", ""),
            "use_tls": os.environ.get("CLOSEDLOOP_EMAIL_STARTTLS", "0") == "1",
            "use_ssl": os.environ.get("CLOSEDLOOP_EMAIL_SSL", "0") == "1",
            "timeout": int(os.environ.get("CLOSEDLOOP_EMAIL_TIMEOUT", "10")),
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("CLOSEDLOOP_EMAIL_FROM", "closedloop <closedloop@localhost>")
# Outgoing webhooks may not call loopback or private addresses (SSRF) unless an admin allows it.
CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE = os.environ.get("CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE", "0") == "1"
# Links in emails need the public address of this installation.
CLOSEDLOOP_BASE_URL = os.environ.get("CLOSEDLOOP_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Ingest batches are capped at 1,000 events; 5 MB leaves room for rich properties
# while refusing runaway payloads with a 413 before they are parsed.
# An import holds this many merged rows in memory and moves the rest to a scratch file (imports/record_store.py).
CLOSEDLOOP_IMPORT_MEMORY_ROWS = int(os.environ.get("CLOSEDLOOP_IMPORT_MEMORY_ROWS", "200000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("CLOSEDLOOP_MAX_REQUEST_BYTES", 5 * 1024 * 1024))
# CSV uploads stream to disk instead.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Cookies, HTTPS, the Content Security Policy and login lockout: config/security.py (included below).

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CLOSEDLOOP_LOG_LEVEL", "WARNING")},
}

from closedloop.config.security import *  # noqa: E402,F403  (last, so its values win)
