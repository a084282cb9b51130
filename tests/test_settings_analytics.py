"""config.settings._analytics_url: ANALYTICS_DATABASE_URL is ClickHouse (chDB or a server); the
SQLite/PostgreSQL URLs it used to take stop the start with a message that says why."""
from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import _analytics_url


@pytest.mark.parametrize(
    "url",
    ["chdb:///srv/panes/clickhouse", "data/clickhouse", "/srv/clickhouse", "clickhouse://u:p@ch:8123/panes",
     "clickhouses://ch:8443/panes", "https://ch.example:8443/panes", "http://127.0.0.1:8123"],
)
def test_chdb_folders_and_clickhouse_servers_are_accepted(url: str) -> None:
    assert _analytics_url(url) == url


@pytest.mark.parametrize(
    "url", ["sqlite:////srv/panes/analytics.sqlite3", "postgres://panes:hunter2-secret@db/analytics", "mysql://db/x"]
)
def test_the_old_engines_urls_say_the_analytics_database_is_clickhouse_now(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="the analytics database is ClickHouse now") as caught:
        _analytics_url(url)
    assert "hunter2-secret" not in str(caught.value) and "Upgrading from the SQLite/PostgreSQL engine" in str(caught.value)


def test_a_relative_chdb_url_asks_for_three_slashes() -> None:
    with pytest.raises(ImproperlyConfigured, match="three slashes"):
        _analytics_url("chdb://data/clickhouse")
