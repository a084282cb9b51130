"""{{ tb_secret('name') }}: read from TB_SECRET_<name> only, bound as a query parameter, and never
seen in SQL, listings, error messages or logs; a copy pipe reads a PostgreSQL table with it, the
way Tinybird's postgresql() docs do."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from lib.secrets import SecretFileError
from pipes import deploy, endpoint, secrets
from pipes.datafiles import load_project
from pipes.engine import Engine
from pipes.engine.ddl import create_table, drop_table
from tests.pipes.releases import published, write_release

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-Pa55'word\\with-quotes"
PG = "127.0.0.1:5432"
PG_TABLE = f"panes_tb_secret_{os.getpid()}"

FILES = {
    "datasources/sc_customers.datasource": """
        SCHEMA >
            `id` Int32,
            `name` String

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "id"
        """,
    "endpoints/sc_filtered.pipe": """
        NODE endpoint
        SQL >
            %
            SELECT id, name FROM sc_customers
            WHERE name != {{ tb_secret('hidden_name') }}
            ORDER BY id

        TYPE endpoint
        """,
    "endpoints/sc_number.pipe": """
        NODE endpoint
        SQL >
            %
            SELECT toInt32({{ tb_secret('pg_password') }}) AS n

        TYPE endpoint
        """,
    "endpoints/sc_postgres.pipe": f"""
        NODE endpoint
        SQL >
            %
            SELECT id, name
            FROM postgresql('{PG}', 'test', '{PG_TABLE}', 'postgres', {{{{ tb_secret('pg_password') }}}})

        TYPE endpoint
        """,
    "copies/sc_sync.pipe": f"""
        NODE from_postgres
        SQL >
            %
            SELECT id, name
            FROM postgresql('{PG}', 'test', '{PG_TABLE}', {{{{ tb_secret('pg_user') }}}}, {{{{ tb_secret('pg_password') }}}})

        TYPE COPY
        TARGET_DATASOURCE sc_customers
        COPY_MODE replace
        """,
}


@pytest.fixture
def project(engine: Engine, monkeypatch) -> Iterator[Path]:
    monkeypatch.setenv("TB_SECRET_pg_password", PASSWORD)
    monkeypatch.setenv("TB_SECRET_pg_user", "postgres")
    monkeypatch.setenv("TB_SECRET_hidden_name", "bob-the-hidden")
    folder = write_release(Path(settings.PIPES_PROJECT_DIR), "secret-tests", FILES)
    engine.command(drop_table("sc_customers", database=engine.database))
    engine.command(create_table(load_project(folder).datasources["sc_customers"], database=engine.database))
    engine.insert("sc_customers", ["id", "name"], [(1, "alice"), (2, "bob-the-hidden")])
    with published(folder):
        yield folder
    engine.command(drop_table("sc_customers", database=engine.database))


# --- which variables ------------------------------------------------------------------------------


def test_a_secret_is_read_from_its_prefixed_variable_only(monkeypatch) -> None:
    monkeypatch.setenv("TB_SECRET_pg_password", "from-the-prefixed-variable")
    monkeypatch.setenv("pg_password", "not-this-one")
    assert secrets.lookup("pg_password") == "from-the-prefixed-variable"
    assert secrets.lookup("SECRET_KEY") is None  # TB_SECRET_SECRET_KEY is unset; SECRET_KEY is never read
    monkeypatch.setenv("TB_SECRET_SECRET_KEY", "only-if-the-operator-put-it-there")
    assert secrets.lookup("SECRET_KEY") == "only-if-the-operator-put-it-there"


@pytest.mark.parametrize("name", ["", "../x", "a-b", "pg password", "x" * 129, "DATABASE_URL\x00"])
def test_a_name_that_is_not_letters_digits_and_underscores_is_no_secret(name: str, monkeypatch) -> None:
    monkeypatch.setenv("TB_SECRET_a", "x")
    assert secrets.variable_for(name) is None and secrets.lookup(name) is None


def test_the_admin_token_variable_is_refused_even_under_the_prefix(monkeypatch, settings) -> None:
    settings.PIPES_ADMIN_TOKEN_ENV = "TB_SECRET_admin"
    monkeypatch.setenv("TB_SECRET_admin", "the-admin-token-0123456789-abcdefghijkl")
    assert secrets.lookup("admin") is None


def test_the_file_twin_is_read_and_an_unreadable_one_names_the_variable_only(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_text("from-a-mounted-file\n")
    monkeypatch.setenv("TB_SECRET_pg_password_FILE", str(path))
    assert secrets.lookup("pg_password") == "from-a-mounted-file"
    monkeypatch.setenv("TB_SECRET_pg_password_FILE", str(tmp_path / "missing"))
    with pytest.raises(SecretFileError) as caught:
        secrets.lookup("pg_password")
    assert "TB_SECRET_pg_password_FILE" in str(caught.value) and str(tmp_path) not in str(caught.value)


# --- rendering ------------------------------------------------------------------------------------


def test_postgresql_credentials_render_as_a_bound_parameter(project: Path) -> None:
    current = load_project(project)
    query = endpoint.compose(current, current.pipes["sc_postgres"], {})
    assert PASSWORD not in query.sql
    assert f"'postgres', {{p0_1:String}})" in query.sql
    assert query.parameters == {"p0_1": PASSWORD}
    assert query.secrets == frozenset({"p0_1"})


def test_a_secret_filters_rows_without_being_written_anywhere(api, project: Path, admin_token: str) -> None:
    assert api.rows("/v0/pipes/sc_filtered.json", admin_token) == [{"id": 1, "name": "alice"}]
    listing = api.get("/v0/pipes", admin_token).content.decode()
    assert "bob-the-hidden" not in listing and "tb_secret('hidden_name')" in listing
    assert "hidden_name" not in {p["name"] for p in api.get("/v0/pipes", admin_token).json()["pipes"][0]["params"]}


def test_a_missing_secret_is_tinybirds_error(api, project: Path, admin_token: str, monkeypatch) -> None:
    monkeypatch.delenv("TB_SECRET_hidden_name")
    response = api.get("/v0/pipes/sc_filtered.json", admin_token)
    assert response.status_code == 400
    assert response.json() == {"error": "Cannot access secret 'hidden_name'. Check it is defined."}


def test_clickhouses_message_never_carries_the_secret(api, project: Path, admin_token: str, caplog) -> None:
    caplog.set_level("DEBUG")
    # ClickHouse writes the bound value into its message ("In scope SELECT toInt32('…')").
    response = api.get("/v0/pipes/sc_number.json", admin_token)
    assert response.status_code == 400
    text = response.content.decode()
    assert "toInt32" in text and secrets.MARK in response.json()["error"]
    for form in (PASSWORD, PASSWORD.replace("\\", "\\\\").replace("'", "\\'"), "s3cret-Pa55"):
        assert form not in text and form not in caplog.text


def test_a_short_secret_withholds_the_whole_message(api, project: Path, admin_token: str, monkeypatch) -> None:
    monkeypatch.setenv("TB_SECRET_pg_password", "abc")
    response = api.get("/v0/pipes/sc_number.json", admin_token)
    assert response.status_code == 400
    assert secrets.WITHHELD in response.json()["error"] and "abc" not in response.json()["error"]


def test_an_endpoint_cannot_open_a_table_function(api, project: Path, admin_token: str) -> None:
    # Endpoints run readonly=1, which refuses postgresql(): as in Tinybird, a copy pipe reads it.
    response = api.get("/v0/pipes/sc_postgres.json", admin_token)
    assert response.status_code == 400
    assert "readonly" in response.json()["error"].lower() and PASSWORD not in response.content.decode()


# --- end to end: a copy pipe reads PostgreSQL -----------------------------------------------------


@pytest.fixture
def pg_table() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    try:
        connection = psycopg.connect(f"postgresql://postgres@{PG}/test", connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL on {PG}: {error}")
    with connection:
        connection.execute(f'DROP TABLE IF EXISTS "{PG_TABLE}"')
        connection.execute(f'CREATE TABLE "{PG_TABLE}" (id integer, name text)')
        connection.execute(f"INSERT INTO \"{PG_TABLE}\" VALUES (10, 'from postgres'), (11, 'bob-the-hidden'), (12, 'also')")
        yield PG_TABLE
        connection.execute(f'DROP TABLE IF EXISTS "{PG_TABLE}"')


def test_a_copy_pipe_reads_a_postgresql_table_with_tb_secret_credentials(
    api, project: Path, pg_table: str, admin_token: str, engine: Engine
) -> None:
    lines: list[str] = []
    assert deploy.run_copy("sc_sync", engine=engine, out=lines.append) == 3
    assert not [line for line in lines if PASSWORD in line]
    rows = api.rows("/v0/pipes/sc_filtered.json", admin_token)
    assert rows == [{"id": 10, "name": "from postgres"}, {"id": 12, "name": "also"}]


def test_a_copy_without_its_secret_fails_naming_it(project: Path, engine: Engine, monkeypatch) -> None:
    monkeypatch.delenv("TB_SECRET_pg_user")
    with pytest.raises(deploy.CopyError, match="Cannot access secret 'pg_user'"):
        deploy.run_copy("sc_sync", engine=engine)


def test_a_copy_error_does_not_carry_the_secret(project: Path, engine: Engine) -> None:
    # No such table in PostgreSQL: ClickHouse's message names the call; the password never.
    with pytest.raises(deploy.CopyError) as caught:
        deploy.run_copy("sc_sync", engine=engine)
    assert PASSWORD not in str(caught.value)
    assert PASSWORD.replace("\\", "\\\\").replace("'", "\\'") not in str(caught.value)
