"""Panes settings.

Every option is read from the environment (and from an optional git-ignored ``.env``) through
django-environ, in this one place. Each variable is documented in the README's configuration
table. Secrets may also be given as ``NAME_FILE`` pointing at a mounted file.
"""
from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from lib.origins import SettingOrigins, origin_of
from lib.secrets import SecretFileError, read_secret

BASE_DIR = Path(__file__).resolve().parent.parent

# PANES_ENV_FILE="" disables reading a .env file (the test settings do this).
_env_file = os.environ.get("PANES_ENV_FILE", str(BASE_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    environ.Env.read_env(_env_file)

env = environ.Env()


def _secret(name: str, default: str | None = None) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    try:
        value = read_secret(name)
    except SecretFileError as exc:
        raise ImproperlyConfigured(f"{name}_FILE points at an unreadable file: {exc.reason}") from exc
    return default if value is None else value


DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = _secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or .env); `make run` writes one."
        )
    SECRET_KEY = "insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"] if DEBUG else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "config.admin.PanesAdminConfig",  # Django's admin, refusing crafted query strings with a 4xx
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "charts",
    "pipes",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # django-csp's, outside everything that answers (error pages included); see CONTENT_SECURITY_POLICY.
    "config.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language) among LANGUAGES.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Trusted-header single sign-on; does nothing unless PANES_SSO_ENABLED.
    "charts.sso.TrustedHeaderMiddleware",
    # A signed-in person's own language over the browser's, and their time zone (else their
    # organisation's) on every page; see charts.locale.
    "charts.middleware.PersonLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "charts.context_processors.tenancy_context",
            ],
        },
    },
]


def _database(var: str, default_file: str) -> dict:
    config = env.db_url(var, default=f"sqlite:///{DATA_DIR / default_file}")
    # Kept open between requests on every backend: reopening SQLite and rerunning its pragmas cost
    # about a tenth of a token request (bench/RESULTS.md).
    config.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside one writer; the busy timeout makes writers queue instead of
        # failing with "database is locked" under concurrent requests.
        config.setdefault("OPTIONS", {}).update(
            {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    else:
        config.setdefault("CONN_HEALTH_CHECKS", True)
    return config


DATABASES = {"default": _database("DATABASE_URL", "panes.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://panes")}
if env.str("CACHE_URL", default=""):
    # Sessions follow the shared cache so every app server sees every session.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Answers only for charts.sso.TrustedHeaderMiddleware, and only while PANES_SSO_ENABLED.
    "charts.sso.TrustedHeaderBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "charts:dashboard_list"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

LANGUAGE_CODE = "en"
# English, German and Polish; the catalogues are in locale/ (django.po for pages, djangojs.po for scripts).
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("pl", "Polski")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="config.storage.StaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
# Without collectstatic (development, tests) WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)

# --- Security headers -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG and env.bool("HTTPS", default=False))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# "None" lets an intranet page on another site frame the embed view with the viewer's session;
# browsers accept it only on Secure cookies, so it needs HTTPS.
SESSION_COOKIE_SAMESITE = env.str("SESSION_COOKIE_SAMESITE", default="Lax")
if SESSION_COOKIE_SAMESITE not in ("Lax", "Strict", "None"):
    raise ImproperlyConfigured("SESSION_COOKIE_SAMESITE must be Lax, Strict or None.")
if SESSION_COOKIE_SAMESITE == "None" and not SESSION_COOKIE_SECURE:
    raise ImproperlyConfigured("SESSION_COOKIE_SAMESITE=None needs HTTPS=true (browsers drop it on cookies that are not Secure).")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers often probe over plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("BEHIND_HTTPS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Panes ------------------------------------------------------------------------------------
# Lifetime of a minted chart-host token, and how long before expiry it is replaced.
PANES_TOKEN_TTL_SECONDS = env.int("PANES_TOKEN_TTL_SECONDS", default=15 * 60)
PANES_TOKEN_REFRESH_MARGIN_SECONDS = env.int("PANES_TOKEN_REFRESH_MARGIN_SECONDS", default=120)
# Origins allowed to frame the embed view (CSP frame-ancestors); every other page forbids framing.
PANES_EMBED_ALLOWED_ORIGINS = env.list("PANES_EMBED_ALLOWED_ORIGINS", default=[])
# Where chart frames reach the built-in pipe host when a workspace leaves its API host blank.
# Blank: the origin of the page's own request (the built-in host is served by this same server).
PANES_LOCAL_API_ORIGIN = env.str("PANES_LOCAL_API_ORIGIN", default="")
# Where chart iframes may load from besides Panes (CSP frame-src). Tinybird chart iframes can only
# come from *.tinybird.co: the snippet parser refuses any other host.
PANES_CSP_FRAME_SRC = env.list("PANES_CSP_FRAME_SRC", default=["https://*.tinybird.co"])

# Where Panes may send a signing key or a viewer's token. Nothing an admin types can widen these:
# a workspace's API host must be one of PANES_ALLOWED_API_HOSTS (origins; blank API host = the
# built-in host, always allowed) and its signing-key variable one of PANES_SIGNING_KEY_VARIABLES.
TINYBIRD_API_HOSTS = [
    "https://api.tinybird.co",
    "https://api.us-east.tinybird.co",
    "https://api.europe-west2.gcp.tinybird.co",
    "https://api.northamerica-northeast2.gcp.tinybird.co",
    "https://api.eu-central-1.aws.tinybird.co",
    "https://api.eu-west-1.aws.tinybird.co",
    "https://api.us-east.aws.tinybird.co",
    "https://api.us-west-2.aws.tinybird.co",
]
PANES_ALLOWED_API_HOSTS = env.list("PANES_ALLOWED_API_HOSTS", default=TINYBIRD_API_HOSTS)
PANES_SIGNING_KEY_VARIABLES = env.list(
    "PANES_SIGNING_KEY_VARIABLES",
    default=[env.str("PIPES_ADMIN_TOKEN_ENV", default="PANES_LOCAL_ADMIN_TOKEN"), "TINYBIRD_ADMIN_TOKEN"],
)

# Trusted-header single sign-on (an intranet proxy that has already authenticated the person).
# The user name comes from PANES_SSO_HEADER (blank: the REMOTE_USER variable the web server sets)
# and counts only from the proxies listed in PANES_SSO_TRUSTED_PROXIES (IPs or CIDRs; empty:
# none). Intranet groups in PANES_SSO_GROUPS_HEADER map to tenants by the admin's group rules.
PANES_SSO_ENABLED = env.bool("PANES_SSO_ENABLED", default=False)
PANES_SSO_HEADER = env.str("PANES_SSO_HEADER", default="")
PANES_SSO_GROUPS_HEADER = env.str("PANES_SSO_GROUPS_HEADER", default="")
PANES_SSO_TRUSTED_PROXIES = env.list("PANES_SSO_TRUSTED_PROXIES", default=[])
PANES_SSO_CREATE_USERS = env.bool("PANES_SSO_CREATE_USERS", default=True)
# Off: sign-on never signs in staff, superusers or accounts with a usable password (README warning).
PANES_SSO_ALLOW_PRIVILEGED = env.bool("PANES_SSO_ALLOW_PRIVILEGED", default=False)
for _proxy in PANES_SSO_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"PANES_SSO_TRUSTED_PROXIES: {_proxy!r} is not an IP address or CIDR network."
        ) from None

# --- Content-Security-Policy (django-csp) ------------------------------------------------------
# The page policy of every HTML response. config.middleware gives JSON, CSV and other data
# `default-src 'none'` instead and admin pages inline styles, and writes the origins a
# SettingOrigins stands for as the setting is at that moment; the embed views and chart frames
# widen frame-ancestors with django-csp's decorators (charts.middleware). Panes' own origin
# settings are checked here: anything that is not an origin stops the start. (PANES_ALLOWED_API_HOSTS
# is checked by charts.E006; an entry that is not an origin is left out of the policy too.)
for _name, _values in (
    ("PANES_LOCAL_API_ORIGIN", [PANES_LOCAL_API_ORIGIN] if PANES_LOCAL_API_ORIGIN else []),
    ("PANES_CSP_FRAME_SRC", PANES_CSP_FRAME_SRC),
):
    for _value in _values:
        if origin_of(_value) is None:
            raise ImproperlyConfigured(f"{_name}: {_value!r} is not an http(s) origin (scheme://host[:port]).")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # The grid's spans are style *attributes* (style="--span: 6"); <style> blocks stay out.
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        # Chart frames fetch rows from the built-in host or a workspace's API host, which must be
        # one of PANES_ALLOWED_API_HOSTS: the allow-list is the whole list, no database read.
        "connect-src": [SELF, SettingOrigins("PANES_LOCAL_API_ORIGIN"), SettingOrigins("PANES_ALLOWED_API_HOSTS")],
        "frame-src": [SELF, SettingOrigins("PANES_CSP_FRAME_SRC")],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Exports and report emails ------------------------------------------------------------------
# Where Panes is reached, e.g. https://dashboards.example.com: the base of the links in report
# emails, and the address the headless browser that draws reports loads pages from (so it must
# answer from this machine). Viewer exports fall back to the request's own origin. Never stored.
PANES_SITE_URL = env.str("PANES_SITE_URL", default="").rstrip("/")
if PANES_SITE_URL and origin_of(PANES_SITE_URL) is None:
    raise ImproperlyConfigured(f"PANES_SITE_URL: {PANES_SITE_URL!r} is not an http(s) origin (scheme://host[:port]).")
# The Chromium that draws PDFs and PNGs (Debian's package by default; blank: Playwright's own).
PANES_CHROMIUM_PATH = env.str("PANES_CHROMIUM_PATH", default="/usr/bin/chromium")
# How long a render may take before it gives up, in seconds.
PANES_RENDER_SECONDS = env.int("PANES_RENDER_SECONDS", default=60)
# Django's email backend; SMTP settings from the environment (README: "Report emails").
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = _secret("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Panes <panes@localhost>")
# send_reports retries a failed send after 5, 10, 20… minutes (capped at 6 h), at most this many times.
PANES_REPORT_MAX_ATTEMPTS = env.int("PANES_REPORT_MAX_ATTEMPTS", default=5)

# The built-in pipe host's own settings: the NAME of the variable holding its admin token (read
# at the moment of use, never stored here) and the workspace id its tokens must carry.
PIPES_ADMIN_TOKEN_ENV = env.str("PIPES_ADMIN_TOKEN_ENV", default="PANES_LOCAL_ADMIN_TOKEN")
PIPES_WORKSPACE_ID = env.str("PIPES_WORKSPACE_ID", default="00000000-0000-4000-8000-00000000fa9e")
PIPES_MAX_PARAM_LENGTH = env.int("PIPES_MAX_PARAM_LENGTH", default=1024)
PIPES_MAX_ROWS = env.int("PIPES_MAX_ROWS", default=100_000)
# ClickHouse's max_execution_time for a deployed pipe's query: past it the answer is a 408.
PIPES_QUERY_SECONDS = env.int("PIPES_QUERY_SECONDS", default=10)
if PIPES_QUERY_SECONDS < 1:
    raise ImproperlyConfigured("PIPES_QUERY_SECONDS must be at least 1")


def _analytics_url(url: str) -> str:
    """The engine URL, or ImproperlyConfigured for one the host cannot open. Before ClickHouse this
    variable named a SQLite or PostgreSQL database: such a URL says so rather than "unknown"."""
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme not in ("", "chdb", "clickhouse", "clickhouses", "http", "https"):
        raise ImproperlyConfigured(
            f"ANALYTICS_DATABASE_URL is a {scheme}:// URL, but the analytics database is ClickHouse now: "
            "chdb:///abs/folder (embedded, the default), or clickhouse://user:password@host:8123/db for a server. "
            "See 'Upgrading from the SQLite/PostgreSQL engine' in the README."
        )
    if scheme == "chdb" and not url.startswith("chdb:///"):
        raise ImproperlyConfigured("ANALYTICS_DATABASE_URL: chdb:// needs an absolute folder: chdb:///abs/folder (three slashes)")
    return url


# The built-in host's ClickHouse: chDB in-process on a data folder (one process owns it), or a
# ClickHouse server, e.g. clickhouse://user:password@host:8123/panes. Opened on first use.
ANALYTICS_DATABASE_URL = _analytics_url(env.str("ANALYTICS_DATABASE_URL", default=f"chdb://{DATA_DIR / 'clickhouse'}"))
# Where `manage.py pipes_deploy` keeps the deployed Tinybird project's datafiles (the catalogue).
PIPES_PROJECT_DIR = Path(env.str("PIPES_PROJECT_DIR", default=str(DATA_DIR / "tinybird")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
