"""Which addresses count as the trusted sign-on proxy, and how header names become META keys."""
from __future__ import annotations

import pytest

from charts import sso


@pytest.mark.parametrize(
    ("address", "trusted"),
    [
        ("10.0.0.5", True),
        ("10.8.200.1", True),  # inside 10.8.0.0/16
        ("10.9.0.1", False),
        ("::ffff:10.0.0.5", True),  # IPv4-mapped, as a dual-stack socket reports it
        ("fd00::17", True),  # inside fd00::/64
        ("fd00:0:0:1::17", False),
        ("", False),
        ("not-an-ip", False),
        (None, False),
    ],
)
def test_it_matches_addresses_and_cidr_networks(settings, address, trusted) -> None:
    settings.PANES_SSO_TRUSTED_PROXIES = ["10.0.0.5", "10.8.0.0/16", "fd00::/64"]
    assert sso.is_trusted_address(address) is trusted


def test_an_empty_list_trusts_nobody(settings) -> None:
    settings.PANES_SSO_TRUSTED_PROXIES = []
    assert not sso.is_trusted_address("127.0.0.1")


def test_a_bad_entry_is_skipped_not_trusted(settings) -> None:
    settings.PANES_SSO_TRUSTED_PROXIES = ["nonsense", "10.0.0.5"]
    assert sso.is_trusted_address("10.0.0.5")
    assert not sso.is_trusted_address("10.0.0.6")


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ("", "REMOTE_USER"),
        ("REMOTE_USER", "REMOTE_USER"),
        ("X-Remote-User", "HTTP_X_REMOTE_USER"),
        ("x-forwarded-user", "HTTP_X_FORWARDED_USER"),
        ("HTTP_X_REMOTE_USER", "HTTP_X_REMOTE_USER"),
    ],
)
def test_header_names_become_meta_keys(setting, key) -> None:
    assert sso.meta_key(setting) == key


def test_settings_refuse_a_bad_trusted_proxy(monkeypatch) -> None:
    import subprocess
    import sys

    env = {"PANES_ENV_FILE": "", "SECRET_KEY": "x" * 50, "PANES_SSO_TRUSTED_PROXIES": "10.0.0.0/8,not-an-ip", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"], env=env, capture_output=True, text=True, cwd=sso.settings.BASE_DIR
    )
    assert result.returncode != 0
    assert "PANES_SSO_TRUSTED_PROXIES" in result.stderr and "not-an-ip" in result.stderr
