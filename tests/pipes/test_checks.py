"""pipes.E001: the built-in host's admin token must be set and at least 32 bytes."""
from __future__ import annotations

from django.conf import settings

from pipes.checks import check_admin_token


def test_no_error_with_a_good_token():
    assert check_admin_token() == []


def test_a_missing_token_is_e001_naming_the_variable_only(monkeypatch):
    monkeypatch.delenv(settings.PIPES_ADMIN_TOKEN_ENV)
    [error] = check_admin_token()
    assert error.id == "pipes.E001"
    assert settings.PIPES_ADMIN_TOKEN_ENV in error.msg
    assert error.hint


def test_a_short_token_is_e001_without_showing_it(monkeypatch):
    monkeypatch.setenv(settings.PIPES_ADMIN_TOKEN_ENV, "tiny-secret")
    [error] = check_admin_token()
    assert error.id == "pipes.E001"
    assert "shorter than 32 bytes" in error.msg
    assert "tiny-secret" not in error.msg + error.hint


def test_an_unreadable_token_file_is_e001(monkeypatch, tmp_path):
    monkeypatch.delenv(settings.PIPES_ADMIN_TOKEN_ENV)
    monkeypatch.setenv(f"{settings.PIPES_ADMIN_TOKEN_ENV}_FILE", str(tmp_path / "missing"))
    [error] = check_admin_token()
    assert error.id == "pipes.E001"


def test_a_token_file_that_is_not_text_is_e001(monkeypatch, tmp_path):
    path = tmp_path / "token"
    path.write_bytes(b"\xff" * 40)
    monkeypatch.delenv(settings.PIPES_ADMIN_TOKEN_ENV)
    monkeypatch.setenv(f"{settings.PIPES_ADMIN_TOKEN_ENV}_FILE", str(path))
    [error] = check_admin_token()
    assert error.id == "pipes.E001"
    assert f"The file named by {settings.PIPES_ADMIN_TOKEN_ENV}_FILE cannot be read." in error.msg
