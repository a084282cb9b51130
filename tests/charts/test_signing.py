"""charts.signing.read_signing_key: a workspace's key from NAME or NAME_FILE, errors as
SigningKeyError naming the variable only."""
from __future__ import annotations

import pytest

from charts.signing import read_signing_key
from charts.tokens import SigningKeyError

VARIABLE = "PANES_SIGNING_TEST_KEY"
KEY = "a-perfectly-long-signing-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _allowed(monkeypatch, settings) -> None:
    settings.PANES_SIGNING_KEY_VARIABLES = [VARIABLE]
    monkeypatch.delenv(VARIABLE, raising=False)
    monkeypatch.delenv(f"{VARIABLE}_FILE", raising=False)


def test_it_reads_the_key_from_the_variable(monkeypatch) -> None:
    monkeypatch.setenv(VARIABLE, KEY)
    assert read_signing_key(VARIABLE) == KEY.encode()


def test_it_reads_the_key_from_the_file(monkeypatch, tmp_path) -> None:
    path = tmp_path / "key"
    path.write_text(KEY + "\n")
    monkeypatch.setenv(f"{VARIABLE}_FILE", str(path))
    assert read_signing_key(VARIABLE) == KEY.encode()


def test_an_unset_key_is_a_signing_key_error() -> None:
    with pytest.raises(SigningKeyError, match=f"The signing key variable {VARIABLE} is not set."):
        read_signing_key(VARIABLE)


def test_a_blank_key_file_is_not_set(monkeypatch, tmp_path) -> None:
    path = tmp_path / "key"
    path.write_text("\n")
    monkeypatch.setenv(f"{VARIABLE}_FILE", str(path))
    with pytest.raises(SigningKeyError, match="is not set"):
        read_signing_key(VARIABLE)


def test_a_missing_key_file_is_a_signing_key_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(f"{VARIABLE}_FILE", str(tmp_path / "missing"))
    with pytest.raises(SigningKeyError, match=f"^The file named by {VARIABLE}_FILE cannot be read.$"):
        read_signing_key(VARIABLE)


def test_a_key_file_that_is_not_text_is_a_signing_key_error(monkeypatch, tmp_path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"\xff" * 40)
    monkeypatch.setenv(f"{VARIABLE}_FILE", str(path))
    with pytest.raises(SigningKeyError, match=f"^The file named by {VARIABLE}_FILE cannot be read.$"):
        read_signing_key(VARIABLE)
