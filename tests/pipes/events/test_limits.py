"""10 MB per request, as sent and once decompressed; a gzip bomb is refused after 10 MB."""
from __future__ import annotations

import gzip
import io
import zlib

import pytest

from pipes.events import MAX_BODY_BYTES, BadBody, BodyTooLarge, read_body

from .conftest import ndjson

pytestmark = pytest.mark.django_db


class Counting(io.BytesIO):
    """A stream that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def test_a_body_over_10_mb_is_413(events, rows):
    line = b'{"id": 1, "name": "' + b"x" * 1000 + b'"}\n'
    body = line * (MAX_BODY_BYTES // len(line) + 1)
    response = events.post(body, name="ev_plain")
    assert response.status_code == 413
    assert "10 MB" in response.json()["error"]
    assert rows("ev_plain") == []


def test_a_gzip_body_over_10_mb_once_decompressed_is_413(events, rows):
    body = b'{"id": 1}\n' * (MAX_BODY_BYTES // 10 + 1)
    response = events.post(body, name="ev_plain", gzipped=True)
    assert response.status_code == 413
    assert "decompressed" in response.json()["error"]
    assert rows("ev_plain") == []


def test_a_gzip_bomb_is_never_inflated_whole():
    bomb = gzip.compress(b"\0" * (1024 * 1024 * 1024), compresslevel=9)  # 1 GB in ~1 MB
    stream = Counting(bomb)
    with pytest.raises(BodyTooLarge):
        read_body(stream, encoding="gzip")
    assert stream.taken < len(bomb)  # stopped reading soon after 10 MB came out


def test_a_body_of_exactly_10_mb_is_read():
    body = b"x" * MAX_BODY_BYTES
    assert read_body(io.BytesIO(gzip.compress(body)), encoding="gzip") == body
    assert read_body(io.BytesIO(body)) == body


def test_deflate_is_read_too():
    assert read_body(io.BytesIO(zlib.compress(b'{"id": 1}\n')), encoding="deflate") == b'{"id": 1}\n'


def test_a_broken_or_truncated_gzip_body_is_400(events):
    assert events.post(b"not gzip at all", name="ev_plain", HTTP_CONTENT_ENCODING="gzip").status_code == 400
    truncated = gzip.compress(ndjson({"id": 1}) * 100)[:-20]
    response = events.post(truncated, name="ev_plain", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert "truncated" in response.json()["error"] or "not valid" in response.json()["error"]


def test_an_unknown_content_encoding_is_400(events):
    response = events.post(b"{}", name="ev_plain", HTTP_CONTENT_ENCODING="br")
    assert response.status_code == 400
    with pytest.raises(BadBody):
        read_body(io.BytesIO(b""), encoding="zstd")


def test_a_chunked_body_without_a_length_is_411_not_taken_for_empty(events):
    response = events.post(b"", name="ev_plain", HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411
