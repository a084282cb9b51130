"""Trusted-header single sign-on: an intranet proxy that has already authenticated the person
tells Panes who they are, and which intranet groups they are in.

Off unless ``PANES_SSO_ENABLED``. The user name comes from ``PANES_SSO_HEADER`` (blank: the
``REMOTE_USER`` variable the web server sets) and the groups from ``PANES_SSO_GROUPS_HEADER``.
Both count ONLY when the request's direct peer (``REMOTE_ADDR``) is one of
``PANES_SSO_TRUSTED_PROXIES``: anyone can send a header, only the proxy can connect from its own
address. From anywhere else the headers are ignored and logged; they never log anyone in and never
replace the session of whoever is signed in.

Sign-on never signs in an account that could do more than view, or that has another way in:
staff, superusers and accounts with a usable password are refused (a warning in the log, the
request stays anonymous, the session and memberships untouched), unless the operator sets
``PANES_SSO_ALLOW_PRIVILEGED``. Otherwise whoever can make the proxy send a name, or reach Panes
from the proxy's address, would hold the admin. A session sign-on started ends the same way when
its account becomes privileged later.

The person is created on first visit (``RemoteUserBackend.create_unknown_user``), with an unusable
password. On each sign-on,
and whenever the proxy reports different groups during a session, memberships are brought in line
with the admin's :class:`~charts.models.IntranetGroupRule` rules: a mapped group adds a membership
(source "sso"), a group that is gone removes the membership sign-on made; memberships an
administrator made (source "admin") are never touched. Groups are the header's plus the person's
Django groups.

A session that sign-on started stays signed in when a request comes without the header
(``PersistentRemoteUserMiddleware``): chart frames and the login page also work without the proxy
in front of every path. Turning sign-on off ends those sessions (the backend stops answering).
"""
from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import PersistentRemoteUserMiddleware
from django.db import transaction
from django.db.models.functions import Lower
from django.http import HttpRequest

from .models import IntranetGroupRule, Membership

log = logging.getLogger(__name__)

REMOTE_USER = "REMOTE_USER"
SESSION_GROUPS_KEY = "panes.sso.groups"
MAX_USERNAME_LENGTH = 150
MAX_GROUP_LENGTH = 150
MAX_GROUPS = 1000

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def enabled() -> bool:
    return bool(getattr(settings, "PANES_SSO_ENABLED", False))


def meta_key(header: str) -> str:
    """'X-Remote-User' -> 'HTTP_X_REMOTE_USER'; blank -> 'REMOTE_USER'; META keys pass as they are."""
    name = header.strip()
    if not name or name.upper() == REMOTE_USER:
        return REMOTE_USER
    if name.upper().startswith("HTTP_"):
        return name.upper().replace("-", "_")
    return "HTTP_" + name.upper().replace("-", "_")


@lru_cache(maxsize=16)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    # Settings refuse bad entries at start-up; a bad one slipped in later (tests) trusts nothing.
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            log.error("Ignoring %r in PANES_SSO_TRUSTED_PROXIES: not an IP address or network", entry)
    return tuple(networks)


def trusted_networks() -> tuple[Network, ...]:
    entries = getattr(settings, "PANES_SSO_TRUSTED_PROXIES", ()) or ()
    if isinstance(entries, str):
        entries = entries.split(",")
    return _networks(tuple(e for e in entries if e.strip()))


def is_trusted_address(address: str | None) -> bool:
    """Is ``address`` one of the trusted proxies? Empty list: nobody is."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in trusted_networks())


def is_trusted(request: HttpRequest) -> bool:
    return is_trusted_address(request.META.get("REMOTE_ADDR"))


def clean_username(raw: str) -> str | None:
    """The user name, or None when it cannot be one (empty, too long, control characters)."""
    name = (raw or "").strip()
    if not name or len(name) > MAX_USERNAME_LENGTH or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return None
    return name


def header_groups(request: HttpRequest) -> list[str] | None:
    """Group names from the groups header (sorted, case-folded, unique); None when not configured.

    A configured header that is missing means "no groups": the proxy knows none for this person.
    """
    header = getattr(settings, "PANES_SSO_GROUPS_HEADER", "")
    if not header:
        return None
    raw = request.META.get(meta_key(header), "")
    names = {part.strip().lower() for part in raw.split(",")}
    return sorted(n for n in names if n and len(n) <= MAX_GROUP_LENGTH)[:MAX_GROUPS]


def sync_memberships(user, groups: list[str] | set[str]) -> None:
    """Make the person's sign-on memberships match the rules for ``groups``.

    Adds a membership for each tenant a group maps to (the strongest role when several do),
    updates the role of those sign-on made before and deletes those whose group is gone.
    Memberships an administrator made are left exactly as they are.
    """
    wanted = {g.lower() for g in groups}
    roles: dict[int, str] = {}
    if wanted:
        rules = IntranetGroupRule.objects.annotate(group_key=Lower("group")).filter(group_key__in=wanted)
        for rule in rules:
            if roles.get(rule.tenant_id) != Membership.Role.EDITOR:
                roles[rule.tenant_id] = rule.role
    with transaction.atomic():
        existing = {m.tenant_id: m for m in Membership.objects.select_for_update().filter(user=user)}
        stale = [
            m.pk for tenant_id, m in existing.items() if m.source == Membership.Source.SSO and tenant_id not in roles
        ]
        if stale:
            Membership.objects.filter(pk__in=stale).delete()
        for tenant_id, role in roles.items():
            membership = existing.get(tenant_id)
            if membership is None:
                # get_or_create: two first requests of one person may race to add the same row.
                Membership.objects.get_or_create(
                    user=user, tenant_id=tenant_id, defaults={"role": role, "source": Membership.Source.SSO}
                )
            elif membership.source == Membership.Source.SSO and membership.role != role:
                membership.role = role
                membership.save(update_fields=["role"])


def allow_privileged() -> bool:
    return bool(getattr(settings, "PANES_SSO_ALLOW_PRIVILEGED", False))


def refusal(user) -> str | None:
    """Why sign-on must not sign ``user`` in, or None: staff, superusers and password holders
    sign in with their password (and whatever second factor guards it), never by a header alone."""
    if allow_privileged():
        return None
    if user.is_superuser:
        return "a superuser"
    if user.is_staff:
        return "a staff account"
    if user.has_usable_password():
        return "an account with a password"
    return None


def groups_for(request: HttpRequest, user) -> list[str]:
    """The header's groups (trusted requests only) and the person's Django groups."""
    names = set(header_groups(request) or ()) if is_trusted(request) else set()
    names.update(name.lower() for name in user.groups.values_list("name", flat=True))
    return sorted(names)


class TrustedHeaderBackend(RemoteUserBackend):
    """RemoteUserBackend that answers only while sign-on is on and the request came from a
    trusted proxy, and that syncs memberships from intranet groups on every sign-on."""

    @property
    def create_unknown_user(self) -> bool:  # type: ignore[override]
        return bool(getattr(settings, "PANES_SSO_CREATE_USERS", True))

    def authenticate(self, request: HttpRequest | None, remote_user: str | None):  # type: ignore[override]
        if not enabled() or request is None or not is_trusted(request):
            return None
        username = clean_username(remote_user or "")
        if username is None:
            return None
        user = super().authenticate(request, username)
        # Checked again after configure_user: nothing between the two may make the account privileged.
        return None if user is None or self._refused(request, user) else user

    def configure_user(self, request: HttpRequest | None, user, created: bool = True):
        if created:
            # Signs in through the proxy only; no password to guess or reset.
            user.set_unusable_password()
            user.save(update_fields=["password"])
        # A refused account's memberships are not the proxy's to change either.
        # (authenticate refuses a call without a request before it gets here)
        if request is not None and user is not None and user.is_active and refusal(user) is None:
            sync_memberships(user, groups_for(request, user))
        return user

    @staticmethod
    def _refused(request: HttpRequest, user) -> bool:
        reason = refusal(user)
        if reason is not None:
            log.warning(
                "Refused single sign-on of %r from %s: %s (PANES_SSO_ALLOW_PRIVILEGED is off)",
                user.get_username(),
                request.META.get("REMOTE_ADDR", ""),
                reason,
            )
        return reason is not None

    def get_user(self, user_id):
        # A session started by sign-on ends when sign-on is switched off, or when its account
        # has become one sign-on may not sign in.
        if not enabled():
            return None
        user = super().get_user(user_id)
        return None if user is None or refusal(user) is not None else user


class TrustedHeaderMiddleware(PersistentRemoteUserMiddleware):
    """Signs people in from a trusted proxy's header; inert while sign-on is off."""

    @property
    def header(self) -> str:  # type: ignore[override]
        return meta_key(getattr(settings, "PANES_SSO_HEADER", ""))

    def process_request(self, request: HttpRequest) -> None:
        if not enabled():
            return
        raw = request.META.get(self.header)
        if raw is None:
            return
        address = request.META.get("REMOTE_ADDR", "")
        if not is_trusted(request):
            # User names are fine in logs; group lists and other headers are not logged.
            log.warning(
                "Ignored the single sign-on header from untrusted address %s (user %r)",
                address,
                raw[:MAX_USERNAME_LENGTH],
            )
            return
        username = clean_username(raw)
        if username is None:
            log.warning("Ignored an unusable single sign-on user name from %s", address)
            return
        if request.user.is_authenticated and request.user.get_username() == username:
            self._sync_if_groups_changed(request)
            return
        # The proxy vouches for someone other than the session's user (or nobody is signed in):
        # the session is not the person at the keyboard any more.
        if request.user.is_authenticated:
            auth.logout(request)
        user = auth.authenticate(request, remote_user=username)
        if user is None:
            return
        request.user = user
        auth.login(request, user, backend=_BACKEND_PATH)
        request.session[SESSION_GROUPS_KEY] = header_groups(request)
        log.info("Signed in %r through single sign-on from %s", username, address)

    async def aprocess_request(self, request: HttpRequest) -> None:
        await sync_to_async(self.process_request, thread_sensitive=True)(request)

    @staticmethod
    def _sync_if_groups_changed(request: HttpRequest) -> None:
        """Groups can change during a session: resync when the proxy reports different ones.

        Only for sessions sign-on started; a password session is not the proxy's to manage.
        """
        groups = header_groups(request)
        if groups is None or request.session.get(auth.BACKEND_SESSION_KEY, "") != _BACKEND_PATH:
            return
        if request.session.get(SESSION_GROUPS_KEY) != groups:
            sync_memberships(request.user, groups_for(request, request.user))
            request.session[SESSION_GROUPS_KEY] = groups


_BACKEND_PATH = f"{TrustedHeaderBackend.__module__}.{TrustedHeaderBackend.__qualname__}"
