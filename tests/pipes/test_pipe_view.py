"""GET /v0/pipes/<name>.<format>: params, isolation, formats, limits and HTTP behaviour."""
from __future__ import annotations

import pytest
from django.db import OperationalError, connections

from pipes import throttle
from pipes.models import Pipe, PipeParam

from .conftest import scope

pytestmark = pytest.mark.django_db(databases=["default", "analytics"])

URL = "/v0/pipes/sales.json"


@pytest.fixture
def acme_token(make_token):
    return make_token([scope("sales", company_id="acme")])


# --- fixed params -------------------------------------------------------------------------------


def test_a_fixed_param_wins_over_the_query_string(api, sales, acme_token):
    rows = api.rows(URL, acme_token, {"company_id": "globex"})
    assert rows and {r["company_id"] for r in rows} == {"acme"}


def test_a_fixed_param_wins_over_repeated_keys(api, sales, acme_token):
    response = api.client.get(
        f"{URL}?company_id=globex&company_id=acme&company_id=globex", HTTP_AUTHORIZATION=f"Bearer {acme_token}"
    )
    assert {r["company_id"] for r in response.json()["data"]} == {"acme"}


def test_fixed_params_the_pipe_does_not_declare_are_ignored(api, sales, make_token):
    rows = api.rows(URL, make_token([scope("sales", company_id="acme", region="eu")]))
    assert len(rows) == 3


def test_unknown_query_params_are_ignored(api, sales, acme_token):
    assert len(api.rows(URL, acme_token, {"colour": "blue"})) == 3


def test_the_q_parameter_is_refused(api, sales, acme_token):
    response = api.get(URL, acme_token, {"q": "SELECT * FROM _ WHERE 1=1"})
    assert response.status_code == 400
    assert "q parameter" in response.json()["error"]


# --- validation ---------------------------------------------------------------------------------


def test_a_missing_required_param_is_400_naming_it(api, sales, admin_token):
    response = api.get(URL, admin_token)
    assert response.status_code == 400
    assert response.json() == {"error": "param company_id is required"}


@pytest.mark.parametrize(
    ("param", "value", "kind"),
    [("min_quantity", "two", "Int"), ("min_quantity", "2.5", "Int"), ("date_from", "2024-13-01", "Date"), ("paid", "yes", "Boolean")],
)
def test_a_value_of_the_wrong_type_is_400_naming_param_and_type(api, sales, acme_token, param, value, kind):
    response = api.get(URL, acme_token, {param: value})
    assert response.status_code == 400
    error = response.json()["error"]
    assert param in error and kind in error


def test_an_oversized_param_is_400(api, sales, acme_token, settings):
    settings.PIPES_MAX_PARAM_LENGTH = 16
    response = api.get(URL, acme_token, {"date_from": "2024-01-01" + " " * 10})
    assert response.status_code == 400
    assert "longer than 16" in response.json()["error"]


def test_typed_params_filter(api, sales, acme_token):
    assert [r["date"] for r in api.rows(URL, acme_token, {"date_from": "2024-01-02"})] == ["2024-01-02", "2024-01-03"]
    assert [r["quantity"] for r in api.rows(URL, acme_token, {"min_quantity": "3"})] == [3]


@pytest.mark.parametrize(("value", "expected"), [("true", [True, True]), ("1", [True, True]), ("false", [False]), ("0", [False])])
def test_booleans_accept_true_false_1_0(api, sales, acme_token, value, expected):
    assert [r["paid"] for r in api.rows(URL, acme_token, {"paid": value})] == expected


def test_an_empty_optional_param_binds_null(api, sales, acme_token):
    assert len(api.rows(URL, acme_token, {"date_from": "", "min_quantity": ""})) == 3


def test_defaults_are_used_when_no_value_is_given(api, sales, acme_token):
    sales.params.filter(name="min_quantity").update(default="2")
    assert [r["quantity"] for r in api.rows(URL, acme_token)] == [2, 3]


# --- injection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attempt",
    [
        "acme' OR '1'='1",
        "acme' OR 1=1 --",
        "1; DROP TABLE orders",
        "acme'; DROP TABLE orders; --",
        "%(company_id)s",
        "{{ company_id }}",
    ],
)
def test_injection_in_params_returns_no_foreign_rows_and_the_table_survives(api, sales, admin_token, acme_token, attempt):
    # As the admin (no fixed params) the value is just a company nobody has.
    assert api.rows(URL, admin_token, {"company_id": attempt}) == []
    # As a tenant, in any param, nothing but its own rows.
    for param in ("company_id", "date_from", "min_quantity", "paid"):
        response = api.get(URL, acme_token, {param: attempt})
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert {r["company_id"] for r in response.json()["data"]} <= {"acme"}
    with connections["analytics"].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM orders")
        assert cursor.fetchone()[0] == 5


def test_a_literal_percent_in_the_sql_works(api, orders, admin_token):
    pipe = Pipe.objects.create(name="berlin", sql="SELECT city, '100%' AS share FROM orders WHERE city LIKE 'Ber%' AND company_id = {{ c }}")
    PipeParam.objects.create(pipe=pipe, name="c", type="String", required=True)
    rows = api.rows("/v0/pipes/berlin.json", admin_token, {"c": "acme"})
    assert rows == [{"city": "Berlin", "share": "100%"}] * 2


# --- response shape and formats -----------------------------------------------------------------


def test_the_json_has_tinybirds_shape(api, sales, acme_token):
    body = api.get(URL, acme_token).json()
    assert list(body) == ["meta", "data", "rows", "statistics"]
    assert body["meta"] == [
        {"name": "date", "type": "Date"},
        {"name": "company_id", "type": "String"},
        {"name": "city", "type": "String"},
        {"name": "amount", "type": "Float64"},
        {"name": "quantity", "type": "Int64"},
        {"name": "paid", "type": "Bool"},
    ]
    assert body["data"][0] == {
        "date": "2024-01-01", "company_id": "acme", "city": "Berlin", "amount": 10.0, "quantity": 1, "paid": True
    }
    assert body["rows"] == 3
    stats = body["statistics"]
    assert isinstance(stats["elapsed"], float) and stats["elapsed"] >= 0
    assert stats["rows_read"] == 3
    assert stats["bytes_read"] > 0


def test_rows_before_limit_counts_the_rows_a_top_level_limit_dropped(api, orders, admin_token):
    pipe = Pipe.objects.create(
        name="latest",
        sql="SELECT company_id, amount FROM orders WHERE amount > (SELECT MIN(amount) FROM orders LIMIT 1) "
        "ORDER BY amount DESC LIMIT 2;",
    )
    body = api.get(f"/v0/pipes/{pipe.name}.json", admin_token).json()
    assert body["rows"] == 2
    assert body["rows_before_limit_at_least"] == 4
    assert [r["amount"] for r in body["data"]] == [200.0, 100.0]


def test_datetimes_are_written_as_tinybird_does(api, db, admin_token):
    from pipes.loading import load_rows

    load_rows("events", [("at", "DateTime"), ("day", "Date")], [("2024-01-31T12:00:00Z", "2024-01-31")])
    Pipe.objects.create(name="events", sql="SELECT at, day FROM events")
    body = api.get("/v0/pipes/events.json", admin_token).json()
    assert body["data"] == [{"at": "2024-01-31 12:00:00", "day": "2024-01-31"}]
    assert [m["type"] for m in body["meta"]] == ["DateTime", "Date"]


def test_csv_has_a_header_and_rows(api, sales, acme_token):
    response = api.get("/v0/pipes/sales.csv", acme_token, {"min_quantity": "2"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines() == [
        "date,company_id,city,amount,quantity,paid",
        "2024-01-02,acme,Paris,20.0,2,false",
        "2024-01-03,acme,Berlin,30.0,3,true",
    ]


def test_ndjson_has_one_object_per_line(api, sales, acme_token):
    import json

    response = api.get("/v0/pipes/sales.ndjson", acme_token, {"company_id": "globex"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in response.content.decode().splitlines()]
    assert [(r["date"], r["company_id"]) for r in lines] == [("2024-01-01", "acme"), ("2024-01-02", "acme"), ("2024-01-03", "acme")]


def test_rows_are_capped_at_pipes_max_rows(api, sales, acme_token, settings):
    settings.PIPES_MAX_ROWS = 2
    response = api.get(URL, acme_token)
    assert response.json()["rows"] == 2
    assert "X-Pipes-Truncated" in response


# --- unknown pipes ------------------------------------------------------------------------------


def test_an_unknown_pipe_is_404_for_the_admin_token(api, sales, admin_token):
    response = api.get("/v0/pipes/nope.json", admin_token)
    assert response.status_code == 404
    assert "error" in response.json()


def test_an_unknown_pipe_is_403_for_a_bad_token(api, sales):
    assert api.get("/v0/pipes/nope.json", "bad").status_code == 403


def test_an_unknown_pipe_is_403_for_a_token_without_a_scope_for_it(api, sales, acme_token):
    # Same answer as for an existing pipe it has no scope for: pipe names do not leak.
    assert api.get("/v0/pipes/nope.json", acme_token).status_code == 403


def test_an_unknown_format_is_a_json_404_after_the_token_check(api, sales, admin_token):
    assert api.get("/v0/pipes/sales.xml", "bad").status_code == 403
    for path in ("/v0/pipes/sales.xml", "/v0/datasources", "/v0/pipes/"):
        response = api.get(path, admin_token)
        assert response.status_code == 404, path
        assert "error" in response.json()
        assert response["Access-Control-Allow-Origin"] == "*"


# --- HTTP behaviour -----------------------------------------------------------------------------


def test_a_cors_preflight_from_another_origin_is_answered(api, sales):
    response = api.client.options(
        URL,
        HTTP_ORIGIN="https://intranet.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("token_kind", ["good", "bad"])
def test_every_response_is_cors_open_and_not_cached(api, sales, acme_token, token_kind):
    response = api.get(URL, acme_token if token_kind == "good" else "bad", HTTP_ORIGIN="https://other.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("session", ["logged_in", "stale"])
def test_the_session_is_never_touched_and_no_cookie_is_set(api, sales, acme_token, django_user_model, settings, session):
    if session == "logged_in":
        api.client.force_login(django_user_model.objects.create_user("someone"))
    else:
        # Touching a stale session would make SessionMiddleware answer with a deleting cookie.
        api.client.cookies[settings.SESSION_COOKIE_NAME] = "stale-session-key"
    for response in (
        api.get(URL, acme_token),
        api.get(URL, "bad"),
        api.client.options(URL),
        api.client.post(URL),
        api.get("/v0/pipes", acme_token),
    ):
        assert "Set-Cookie" not in response, response.status_code
        assert not response.cookies
        assert "Cookie" not in response.get("Vary", "")


def test_other_methods_are_405(api, sales, acme_token):
    for method in ("post", "put", "delete", "patch"):
        response = getattr(api.client, method)(URL, HTTP_AUTHORIZATION=f"Bearer {acme_token}")
        assert response.status_code == 405
        assert response["Allow"] == "GET, OPTIONS"
        assert "error" in response.json()


def test_it_answers_429_once_the_tokens_rps_is_exceeded(api, sales, make_token, monkeypatch):
    monkeypatch.setattr(throttle, "now", lambda: 1_700_000_000.5)  # one fixed second
    token = make_token([scope("sales", company_id="acme")], limits={"rps": 2}, name="panes:acme:7")
    assert [api.get(URL, token).status_code for _ in range(3)] == [200, 200, 429]
    # Counted per token name: another user of the tenant has their own budget.
    other = make_token([scope("sales", company_id="acme")], limits={"rps": 2}, name="panes:acme:8")
    assert api.get(URL, other).status_code == 200
    # The next second starts a new window.
    monkeypatch.setattr(throttle, "now", lambda: 1_700_000_001.5)
    assert api.get(URL, token).status_code == 200


def test_a_bad_rps_limit_is_refused(api, sales, make_token):
    assert api.get(URL, make_token(limits={"rps": "lots"})).status_code == 403


def test_an_unavailable_database_is_503_without_details(api, sales, acme_token, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("connection to server at 10.0.0.1 refused")

    monkeypatch.setattr(connections["analytics"], "cursor", broken)
    response = api.get(URL, acme_token)
    assert response.status_code == 503
    assert response.json() == {"error": "the analytics database is unavailable"}
    assert "Traceback" not in response.content.decode()


def test_a_pipe_over_a_missing_table_is_not_a_traceback(api, db, admin_token):
    Pipe.objects.create(name="ghost", sql="SELECT * FROM no_such_table")
    response = api.get("/v0/pipes/ghost.json", admin_token)
    assert response.status_code == 503
    assert "Traceback" not in response.content.decode()


def test_logs_never_contain_the_token(api, sales, acme_token, monkeypatch, caplog):
    caplog.set_level("DEBUG")
    api.get(URL, data={"token": acme_token, "q": "x"})
    api.get("/v0/pipes/nope.json", data={"token": acme_token})

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(connections["analytics"], "cursor", broken)
    assert api.get(URL, data={"token": acme_token}).status_code == 503
    assert caplog.records
    assert acme_token not in caplog.text
