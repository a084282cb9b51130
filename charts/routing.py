"""Where Panes may send a workspace's admin token or a viewer's token: the operator's allow-lists.

Two rules, both decided by the operator in the environment and never by anything a user of the
admin site can edit:

- a workspace's API host is blank (Panes' built-in host) or one of ``PANES_ALLOWED_API_HOSTS``,
  compared as normalised origins (scheme, host, port); a host with userinfo, a path beyond "/",
  a query string or a fragment is refused outright;
- a workspace's signing-key variable is one of ``PANES_SIGNING_KEY_VARIABLES`` and never a
  variable Panes' own settings read (``DENIED_VARIABLES``), which wins even over the allow-list.

The rules are pure (``*_problem`` take the allow-lists as arguments); ``api_host_problem`` and
``variable_problem`` without them read the settings. Every place that uses a host or a key asks
here at the moment of use: the admin form, system checks, ``signing.read_signing_key``,
``grants.workspace_token``, ``pages.api_origin`` and ``check_isolation``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings

# Every variable Panes' settings (config/settings.py) and its gunicorn config read, and the
# process basics: none may ever be read as a signing key, whatever the allow-list says.
SETTINGS_VARIABLES = frozenset(
    {
        "ALLOWED_HOSTS",
        "ANALYTICS_DATABASE_URL",
        "AXES_COOLOFF_MINUTES",
        "AXES_ENABLED",
        "AXES_FAILURE_LIMIT",
        "BEHIND_HTTPS_PROXY",
        "CACHE_URL",
        "CONN_MAX_AGE",
        "CSRF_TRUSTED_ORIGINS",
        "DATABASE_URL",
        "DATA_DIR",
        "DEBUG",
        "DEFAULT_FROM_EMAIL",
        "DJANGO_SETTINGS_MODULE",
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_HOST_USER",
        "EMAIL_PORT",
        "EMAIL_TIMEOUT",
        "EMAIL_USE_SSL",
        "EMAIL_USE_TLS",
        "FORWARDED_ALLOW_IPS",
        "GUNICORN_ACCESS_LOG",
        "GUNICORN_MAX_REQUESTS",
        "GUNICORN_THREADS",
        "GUNICORN_TIMEOUT",
        "HOST",
        "HTTPS",
        "LEGACY_ANALYTICS_DATABASE_URL",
        "LOG_LEVEL",
        "PANES_ALLOWED_API_HOSTS",
        "PANES_CHROMIUM_PATH",
        "PANES_CSP_CONNECT_SRC",
        "PANES_CSP_FRAME_SRC",
        "PANES_EMBED_ALLOWED_ORIGINS",
        "PANES_ENV_FILE",
        "PANES_LOCAL_API_ORIGIN",
        "PANES_RENDER_SECONDS",
        "PANES_REPORT_MAX_ATTEMPTS",
        "PANES_SIGNING_KEY_VARIABLES",
        "PANES_SITE_URL",
        "PANES_SSO_ALLOW_PRIVILEGED",
        "PANES_SSO_CREATE_USERS",
        "PANES_SSO_ENABLED",
        "PANES_SSO_GROUPS_HEADER",
        "PANES_SSO_HEADER",
        "PANES_SSO_TRUSTED_PROXIES",
        "PANES_TOKEN_REFRESH_MARGIN_SECONDS",
        "PANES_TOKEN_TTL_SECONDS",
        "PIPES_ADMIN_TOKEN_ENV",
        "PIPES_HOST_THREADS",
        "PIPES_MAX_PARAM_LENGTH",
        "PIPES_MAX_ROWS",
        "PIPES_PROJECT_DIR",
        "PIPES_QUERY_SECONDS",
        "PIPES_WORKSPACE_ID",
        "PORT",
        "SECRET_KEY",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_HSTS_SECONDS",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SAMESITE",
        "SESSION_COOKIE_SECURE",
        "STATICFILES_BACKEND",
        "STATIC_ROOT",
        "WEB_CONCURRENCY",
        "WHITENOISE_USE_FINDERS",
    }
)
# A key may come from NAME_FILE too: the _FILE twin of a denied variable is denied with it.
DENIED_VARIABLES = SETTINGS_VARIABLES | {f"{name}_FILE" for name in SETTINGS_VARIABLES}

ENV_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
DEFAULT_PORTS = {"http": 80, "https": 443}
HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9.\-_]*[a-z0-9])?$")


class RoutingError(ValueError):
    """A value that is not a plain origin; the message says why (never holds a key)."""


def normalise_origin(value: str) -> str:
    """``scheme://host[:port]`` in lower case, default port dropped; RoutingError otherwise.

    Only http(s); no userinfo, no path beyond "/", no query string or fragment (even empty).
    """
    text = (value or "").strip()
    if not text:
        raise RoutingError("An API host is an origin such as https://api.tinybird.co.")
    if any(c.isspace() or ord(c) < 0x20 or c in "\\\x7f" for c in text):
        raise RoutingError(f"{text!r} contains spaces, control characters or backslashes.")
    if "?" in text or "#" in text:
        raise RoutingError(f"{text} has a query string or fragment; give the origin only.")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.netloc:
        raise RoutingError(f"{text} is not an http:// or https:// origin.")
    if "@" in parts.netloc:
        raise RoutingError(f"{text} carries a user name or password; give the origin only.")
    if parts.path not in ("", "/"):
        raise RoutingError(f"{text} has a path ({parts.path}); give the origin only.")
    host = (parts.hostname or "").lower()
    if not host:
        raise RoutingError(f"{text} has no host name.")
    try:
        port = parts.port
    except ValueError:
        raise RoutingError(f"{text} has an invalid port.") from None
    if not HOST_RE.match(host) and ":" not in host:
        raise RoutingError(f"{text} has no plain host name (no wildcards).")
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def allowed_origins(values: Iterable[str]) -> frozenset[str]:
    """The normalised origins of an allow-list; entries that are not plain origins allow nothing
    (charts.E006 reports them)."""
    origins = set()
    for value in values:
        try:
            origins.add(normalise_origin(value))
        except RoutingError:
            continue
    return frozenset(origins)


def bad_host_entries(values: Iterable[str]) -> list[tuple[str, str]]:
    """(entry, why) for every entry of an allow-list that is not a plain origin."""
    bad = []
    for value in values:
        try:
            normalise_origin(value)
        except RoutingError as exc:
            bad.append((value, str(exc)))
    return bad


def host_problem(api_host: str, allowed: Iterable[str]) -> str | None:
    """Why ``api_host`` may not receive keys or tokens, or None if it may (blank: built-in)."""
    if not api_host:
        return None
    try:
        origin = normalise_origin(api_host)
    except RoutingError as exc:
        return str(exc)
    if origin not in allowed_origins(allowed):
        return f"{origin} is not an API host the operator allowed (PANES_ALLOWED_API_HOSTS)."
    return None


def denied_variable(name: str) -> bool:
    return name in DENIED_VARIABLES


def variable_problem_in(name: str, allowed: Iterable[str]) -> str | None:
    """Why the variable ``name`` may not be read as a signing key, or None if it may."""
    if not name or not ENV_NAME_RE.match(name):
        return f"{name!r} is not an environment variable name (A-Z, 0-9 and _)."
    if denied_variable(name):
        return f"{name} is one of Panes' own settings and is never a signing key."
    if name not in set(allowed):
        return f"{name} is not a signing-key variable the operator allowed (PANES_SIGNING_KEY_VARIABLES)."
    return None


def api_host_problem(api_host: str) -> str | None:
    """``host_problem`` against ``settings.PANES_ALLOWED_API_HOSTS``."""
    return host_problem(api_host, settings.PANES_ALLOWED_API_HOSTS)


def variable_problem(name: str) -> str | None:
    """``variable_problem_in`` against ``settings.PANES_SIGNING_KEY_VARIABLES``."""
    return variable_problem_in(name, settings.PANES_SIGNING_KEY_VARIABLES)


def allowed_variables() -> list[str]:
    """The operator's signing-key variables, without the denied ones."""
    return [v for v in dict.fromkeys(settings.PANES_SIGNING_KEY_VARIABLES) if not denied_variable(v)]


def allowed_api_hosts() -> list[str]:
    """The operator's API hosts as normalised origins, in their order."""
    return list(dict.fromkeys(o for o in map(_origin_or_none, settings.PANES_ALLOWED_API_HOSTS) if o))


def _origin_or_none(value: str) -> str | None:
    try:
        return normalise_origin(value)
    except RoutingError:
        return None


def pairing_problem(api_host: str, signing_key_env: str) -> str | None:
    """Why this host may not get keys or tokens of this variable: the built-in host's admin token
    (PIPES_ADMIN_TOKEN_ENV) and what it signs go to the built-in host only, never to Tinybird,
    where a token signed with it would be a key to Panes' own host."""
    if api_host and signing_key_env == settings.PIPES_ADMIN_TOKEN_ENV:
        return (
            f"{signing_key_env} holds the built-in host's admin token: only the built-in host (a blank API "
            "host) may receive it or the tokens it signs."
        )
    return None


def route_problem(api_host: str, signing_key_env: str) -> str | None:
    """Why a workspace's charts may not send a viewer's token to its API host, or None."""
    return api_host_problem(api_host) or pairing_problem(api_host, signing_key_env)


def workspace_problems(api_host: str, signing_key_env: str) -> dict[str, str]:
    """field name -> problem, for a workspace's two routing fields."""
    problems = {}
    if (problem := api_host_problem(api_host)) is not None:
        problems["api_host"] = problem
    if (problem := variable_problem(signing_key_env) or pairing_problem(api_host, signing_key_env)) is not None:
        problems["signing_key_env"] = problem
    return problems
