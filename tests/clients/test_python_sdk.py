"""Tinybird's Python ingestion SDK (``tinybird-python-sdk``, module ``tb``) appends through the
built-in host's ``/v0/events``, pointed at the live server with ``api_url``.

The SDK buffers rows and POSTs them as NDJSON to ``/v0/events?mode=append&name=…&format=ndjson``
with a Bearer token and no content type (``tb.datasource.Datasource``, flushed when its ``with``
block ends); its asyncio twin uses aiohttp; its logging handler sends log records. Errors reach
the caller as ``requests.HTTPError`` with the host's response.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import requests
from django.conf import settings
from tb.a.datasource import AsyncDatasource
from tb.api import API
from tb.datasource import Datasource
from tb.logger import TinybirdLoggingHandler

from pipes.engine import Engine
from pipes.engine.ddl import quarantine_name

EVENTS = "cl_events"


def token(*scopes: tuple[str, str], rps: int | None = None) -> str:
    """A JWT signed with the host's admin token with ``(type, resource)`` scopes, as a backend
    minting an ingestion token would make it."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "workspace_id": settings.PIPES_WORKSPACE_ID,
        "name": f"ingest:{now}:{scopes}",
        "iat": now,
        "exp": now + 300,
        "scopes": [{"type": type_, "resource": resource} for type_, resource in scopes],
    }
    if rps is not None:
        payload["limits"] = {"rps": rps}
    return jwt.encode(payload, os.environ[settings.PIPES_ADMIN_TOKEN_ENV].encode(), algorithm="HS256")


APPEND = ("DATASOURCES:APPEND", EVENTS)


@pytest.fixture
def url(live_server) -> str:
    return live_server.url


@pytest.fixture
def rows(host: Engine) -> Iterator[Callable[[str], list[dict[str, Any]]]]:
    """Reads a table of the clients' project; the events tables start empty for each test."""
    for table in (EVENTS, quarantine_name(EVENTS), "cl_events_totals", "cl_logs"):
        host.command(f"TRUNCATE TABLE {host.database}.{table}")

    def read(table: str) -> list[dict[str, Any]]:
        order = "insertion_date, c__raw" if table.endswith("_quarantine") else "tuple()"
        columns = "* EXCEPT insertion_date" if table.endswith("_quarantine") else "*"
        found = host.query(f"SELECT {columns} FROM {host.database}.{table} ORDER BY {order}").data
        return sorted(found, key=json.dumps) if order == "tuple()" else found

    yield read


GOOD = [
    {"company": {"id": "acme"}, "city": "Berlin", "amount": 10.5, "quantity": 2},
    {"company": {"id": "acme"}, "amount": 4.5},  # city and quantity from their DEFAULTs
    {"company": {"id": "globex"}, "city": "Rome", "amount": 100},
]
STORED = sorted(
    [
        {"company_id": "acme", "city": "Berlin", "amount": 10.5, "quantity": 2},
        {"company_id": "acme", "city": "unknown", "amount": 4.5, "quantity": 1},
        {"company_id": "globex", "city": "Rome", "amount": 100.0, "quantity": 1},
    ],
    key=json.dumps,
)


def test_rows_appended_with_the_sdk_land_with_jsonpaths_defaults_and_the_view(url, rows, admin_token):
    with Datasource(EVENTS, token(APPEND), api_url=url) as ds:
        ds << GOOD[0]
        ds << json.dumps(GOOD[1])  # the SDK takes dicts, str and bytes alike
        ds << json.dumps(GOOD[2]).encode()
    assert rows(EVENTS) == STORED
    assert rows(quarantine_name(EVENTS)) == []
    # The materialized view ran on the insert; read back through the pipe API with the SDK's client.
    answer = API(admin_token, url).get("/pipes/cl_event_totals.json", params={"company_id": "acme"}).json()
    assert answer["data"] == [{"company_id": "acme", "total": 15.0}]


def test_the_host_answers_the_sdks_request_with_tinybirds_counts(url, rows):
    ds = Datasource(EVENTS, token(APPEND), api_url=url)
    body = "".join(json.dumps(row) + "\n" for row in GOOD[:2]) + '{"company": {"id": "acme"}}\n'
    response = ds.api.post(ds.path, data=body)  # the path and body Datasource.flush sends
    assert response.status_code == 202  # wait=false: accepted (and already written)
    assert response.json() == {"successful_rows": 2, "quarantined_rows": 1}


def test_bad_rows_go_to_quarantine_with_their_reason(url, rows):
    with Datasource(EVENTS, token(APPEND), api_url=url) as ds:
        ds << GOOD[0]
        ds << {"company": {"id": "acme"}, "amount": "lots"}  # a string for a Float64
        ds << {"company": {"id": "acme"}, "amount": 1, "quantity": 300}  # past UInt8
        ds << {"city": "Paris", "amount": 1}  # no company id, and no DEFAULT for it
        ds << "this is not JSON"
    assert rows(EVENTS) == [STORED[0]]
    quarantined = rows(quarantine_name(EVENTS))
    assert len(quarantined) == 4
    raw = {row["c__raw"] for row in quarantined}
    assert "this is not JSON" in raw and json.dumps({"city": "Paris", "amount": 1}) in raw
    assert all(row["c__error"] for row in quarantined)  # every one says why
    named = {column for row in quarantined for column in row["c__error_column"]}
    assert {"amount", "quantity", "company_id"} <= named


def test_a_token_without_the_append_scope_is_refused_in_tinybirds_error_shape(url, rows):
    for scopes in [("PIPES:READ", EVENTS)], [("DATASOURCES:APPEND", "cl_orders")]:
        with pytest.raises(requests.HTTPError) as refused:
            with Datasource(EVENTS, token(*scopes), api_url=url) as ds:
                ds << GOOD[0]
        response = refused.value.response
        assert response is not None and response.status_code == 403
        assert response.json() == {"error": "the token has no DATASOURCES:APPEND scope for this datasource"}
    assert rows(EVENTS) == []


def test_the_admin_token_appends_and_an_unknown_datasource_is_a_json_404(url, rows, admin_token):
    with Datasource(EVENTS, admin_token, api_url=url) as ds:
        ds << GOOD[2]
    assert rows(EVENTS) == [STORED[2]]
    with pytest.raises(requests.HTTPError) as missing:
        with Datasource("cl_nowhere", admin_token, api_url=url) as ds:
            ds << GOOD[2]
    response = missing.value.response
    assert response is not None and response.status_code == 404
    assert response.json() == {"error": "datasource cl_nowhere does not exist"}


def test_the_asyncio_sdk_appends_too(url, rows):
    async def send() -> None:
        ds = AsyncDatasource(EVENTS, token(APPEND), api_url=url)
        for row in GOOD:
            await ds.append(row)
        # close() alone drops the buffer (it marks itself shut before flushing): flush first.
        await ds.flush()
        await ds.close()

    asyncio.run(send())
    assert rows(EVENTS) == STORED


@pytest.mark.slow  # the SDK sleeps 2 s before each send after a 429
def test_the_sdk_waits_out_a_429_and_its_rows_land(url, rows):
    """With a token limited to 1 request per second, the second flush gets a 429 with Tinybird's
    X-RateLimit headers; the SDK sleeps on them and sends again."""
    ds = Datasource(EVENTS, token(APPEND, rps=1), api_url=url)
    statuses: list[int] = []
    ds.api._session.hooks["response"].append(lambda response, *args, **kwargs: statuses.append(response.status_code))
    for row in GOOD:
        ds << row
        ds.buffer.flush()  # what the SDK's timer or a full buffer calls
    assert 429 in statuses and statuses[-1] == 202
    assert rows(EVENTS) == STORED


def test_the_sdks_logging_handler_sends_log_records(url, rows, admin_token):
    handler = TinybirdLoggingHandler(admin_token, url, "panes-tests", ds_name="cl_logs")
    logger = logging.getLogger("tests.clients.sdk")
    logger.addHandler(handler)
    try:
        logger.warning("disk %s is %d%% full", "/data", 91)
    finally:
        logger.removeHandler(handler)
    assert rows("cl_logs") == [
        {"app_name": "panes-tests", "level": "WARNING", "message": "disk /data is 91% full", "logger": "tests.clients.sdk"}
    ]
