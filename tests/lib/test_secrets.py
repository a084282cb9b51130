"""lib.secrets.read_secret: NAME, else the file NAME_FILE names; errors name the variable only."""
from __future__ import annotations

import pytest

from lib.secrets import SecretFileError, read_secret

NAME = "PANES_TEST_SECRET"
VALUE = "a-secret-value-0123456789-abcdefghij"


@pytest.fixture(autouse=True)
def _unset(monkeypatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)


def test_it_reads_the_variable(monkeypatch) -> None:
    monkeypatch.setenv(NAME, VALUE)
    assert read_secret(NAME) == VALUE


def test_it_reads_the_file_without_its_trailing_newline(monkeypatch, tmp_path) -> None:
    path = tmp_path / "secret"
    path.write_text(VALUE + "\n")
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    assert read_secret(NAME) == VALUE


def test_the_variable_wins_over_the_file(monkeypatch, tmp_path) -> None:
    path = tmp_path / "secret"
    path.write_text("from-the-file")
    monkeypatch.setenv(NAME, VALUE)
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    assert read_secret(NAME) == VALUE


def test_an_empty_variable_falls_back_to_the_file(monkeypatch, tmp_path) -> None:
    path = tmp_path / "secret"
    path.write_text(VALUE)
    monkeypatch.setenv(NAME, "")
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    assert read_secret(NAME) == VALUE


def test_the_file_is_read_again_at_each_use(monkeypatch, tmp_path) -> None:
    path = tmp_path / "secret"
    path.write_text("first-value")
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    assert read_secret(NAME) == "first-value"
    path.write_text("rotated-value")
    assert read_secret(NAME) == "rotated-value"


def test_unset_is_none() -> None:
    assert read_secret(NAME) is None


@pytest.mark.parametrize("content", ["", "\n", "  \n\t"])
def test_a_blank_file_is_none(monkeypatch, tmp_path, content) -> None:
    path = tmp_path / "secret"
    path.write_text(content)
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    assert read_secret(NAME) is None


def test_a_missing_file_names_the_variable_not_the_path(monkeypatch, tmp_path) -> None:
    path = tmp_path / "no-such-secret"
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    with pytest.raises(SecretFileError) as caught:
        read_secret(NAME)
    assert str(caught.value) == f"The file named by {NAME}_FILE cannot be read: No such file or directory."
    assert caught.value.variable == f"{NAME}_FILE"
    assert str(path) not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_directory_is_unreadable(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(f"{NAME}_FILE", str(tmp_path))
    with pytest.raises(SecretFileError, match=f"{NAME}_FILE cannot be read: Is a directory"):
        read_secret(NAME)


def test_a_file_that_is_not_text_is_unreadable_without_showing_its_bytes(monkeypatch, tmp_path) -> None:
    path = tmp_path / "secret"
    path.write_bytes(b"\xff\xfe-binary-secret-\xc3")
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    with pytest.raises(SecretFileError) as caught:
        read_secret(NAME)
    assert str(caught.value) == f"The file named by {NAME}_FILE cannot be read: it is not UTF-8 text."
    assert "binary-secret" not in repr(caught.value) and "xff" not in str(caught.value)
