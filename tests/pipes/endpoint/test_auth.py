"""Token verification on a deployed pipe's /v0/pipes/<name>.json: exactly Tinybird's rules, every
failure a 403."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from django.conf import settings

from pipes import endpoint
from pipes.auth import AuthError, Credential, Scope, scope_for
from tests.pipes.conftest import scope

pytestmark = pytest.mark.django_db

URL = "/v0/pipes/ep_sales.json"
PIPE_ID = endpoint.pipe_id("ep_sales")


def _refused(response, reason: str) -> None:
    assert response.status_code == 403, response.content
    assert reason in response.json()["error"]


def test_it_returns_the_rows_of_the_fixed_param(api, project, make_token):
    rows = api.rows(URL, make_token([scope("ep_sales", company_id="acme")]))
    assert {r["company_id"] for r in rows} == {"acme"}
    assert len(rows) == 3


def test_it_accepts_the_token_in_the_query_string(api, project, make_token):
    response = api.get(URL, data={"token": make_token([scope("ep_sales", company_id="globex")])})
    assert response.status_code == 200
    assert {r["company_id"] for r in response.json()["data"]} == {"globex"}


def test_it_refuses_a_token_signed_with_another_key(api, project, make_token):
    token = make_token(key="another-key-that-is-long-enough-0123456789")
    _refused(api.get(URL, token), "signature")


def test_it_refuses_alg_none(api, project, admin_token):
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
    claims = {
        "workspace_id": settings.PIPES_WORKSPACE_ID,
        "exp": int(time.time()) + 300,
        "scopes": [scope("ep_sales", company_id="acme")],
    }
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    token = f"{header.decode()}.{body.decode()}."
    _refused(api.get(URL, token), "algorithm")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS512", "HS384"])
def test_it_refuses_other_algorithms_even_with_the_right_key(api, project, make_token, algorithm):
    _refused(api.get(URL, make_token(algorithm=algorithm)), "HS256 only")


def test_it_refuses_an_expired_token(api, project, make_token):
    _refused(api.get(URL, make_token(exp_in=-5)), "expired")


def test_it_refuses_a_token_without_exp(api, project, make_token):
    _refused(api.get(URL, make_token(exp_in=None)), "exp")


def test_it_refuses_a_token_for_another_workspace(api, project, make_token):
    token = make_token(workspace_id="11111111-1111-4111-8111-111111111111")
    _refused(api.get(URL, token), "another workspace")


def test_it_refuses_a_token_without_workspace_id(api, project, make_token):
    _refused(api.get(URL, make_token(workspace_id="")), "another workspace")


def test_it_refuses_a_scope_for_another_pipe(api, project, make_token):
    _refused(api.get(URL, make_token([scope("other_pipe", company_id="acme")])), "no PIPES:READ scope")


def test_it_refuses_a_scope_of_another_type(api, project, make_token):
    token = make_token([{"type": "DATASOURCES:READ", "resource": "ep_sales", "fixed_params": {"company_id": "acme"}}])
    _refused(api.get(URL, token), "no PIPES:READ scope")


def test_a_scope_by_pipe_id_works(api, project, make_token):
    rows = api.rows(URL, make_token([scope(PIPE_ID, company_id="globex")]))
    assert {r["company_id"] for r in rows} == {"globex"}


def test_the_pipe_can_be_read_by_its_id_in_the_url(api, project, make_token):
    rows = api.rows(f"/v0/pipes/{PIPE_ID}.json", make_token([scope("ep_sales", company_id="acme")]))
    assert {r["company_id"] for r in rows} == {"acme"}


def test_it_refuses_conflicting_scopes_for_one_pipe(api, project, make_token):
    token = make_token([scope("ep_sales", company_id="acme"), scope(PIPE_ID, company_id="globex")])
    _refused(api.get(URL, token), "conflicting")


def test_it_refuses_a_fixed_param_of_null(api, project, make_token):
    _refused(api.get(URL, make_token([scope("ep_sales", company_id=None)])), "null")


# Anything but an object of scalars: falsy shapes used to pass as "no fixed params", so a tenant's
# token read whichever company_id it put in the query string.
MALFORMED_FIXED_PARAMS = [
    pytest.param([], id="empty-list"),
    pytest.param(0, id="zero"),
    pytest.param(False, id="false"),
    pytest.param("", id="empty-string"),
    pytest.param(None, id="null"),
    pytest.param("company_id=acme", id="string"),
    pytest.param(["company_id", "acme"], id="list"),
    pytest.param(1, id="number"),
    pytest.param({"company_id": ["acme", "globex"]}, id="list-value"),
    pytest.param({"company_id": {"acme": 1}}, id="object-value"),
    pytest.param({"company_id": None}, id="null-value"),
    pytest.param({"company_id": float("nan")}, id="nan-value"),
]


def _raw_scope(resource: str, fixed_params: object) -> dict:
    return {"type": "PIPES:READ", "resource": resource, "fixed_params": fixed_params}


@pytest.mark.parametrize("fixed_params", MALFORMED_FIXED_PARAMS)
def test_it_refuses_malformed_fixed_params(api, project, make_token, fixed_params):
    token = make_token([_raw_scope("ep_sales", fixed_params)])
    _refused(api.get(URL, token, {"company_id": "globex"}), "the token's fixed_params are malformed")


@pytest.mark.parametrize("fixed_params", MALFORMED_FIXED_PARAMS)
def test_scope_for_refuses_malformed_fixed_params(fixed_params):
    credential = Credential(is_admin=False, name="t", scopes=(_raw_scope("ep_sales", fixed_params),))
    with pytest.raises(AuthError, match="the token's fixed_params are malformed"):
        scope_for(credential, "ep_sales", "t_sales")


@pytest.mark.parametrize("value", ["acme", 42, 4.5, True, False, 0, ""])
def test_scope_for_accepts_scalar_fixed_params(value):
    credential = Credential(is_admin=False, name="t", scopes=(_raw_scope("ep_sales", {"company_id": value}),))
    assert scope_for(credential, "ep_sales", None) == Scope(resource="ep_sales", fixed_params={"company_id": value})


def test_a_scope_without_fixed_params_fixes_nothing(api, project, make_token):
    token = make_token([{"type": "PIPES:READ", "resource": "ep_sales"}])
    credential = Credential(is_admin=False, name="t", scopes=({"type": "PIPES:READ", "resource": "ep_sales"},))
    assert scope_for(credential, "ep_sales", None).fixed_params == {}
    rows = api.rows(URL, token, {"company_id": "globex"})
    assert {r["company_id"] for r in rows} == {"globex"}


def test_a_malformed_scope_for_another_pipe_does_not_matter(api, project, make_token):
    token = make_token([_raw_scope("other_pipe", []), scope("ep_sales", company_id="acme")])
    assert {r["company_id"] for r in api.rows(URL, token)} == {"acme"}


def test_it_refuses_a_request_without_token(api, project):
    _refused(api.get(URL), "no token")


def test_it_refuses_a_non_bearer_authorization(api, project, admin_token):
    response = api.client.get(URL, HTTP_AUTHORIZATION=f"Basic {admin_token}")
    _refused(response, "Bearer")


def test_it_refuses_garbage(api, project):
    _refused(api.get(URL, "not.a.jwt"), "malformed")


def test_the_admin_token_reads_any_pipe_without_fixed_params(api, project, admin_token):
    rows = api.rows(URL, admin_token, {"company_id": "globex"})
    assert {r["company_id"] for r in rows} == {"globex"}


def test_a_prefix_of_the_admin_token_is_not_the_admin_token(api, project, admin_token):
    _refused(api.get(URL, admin_token[:-1], {"company_id": "globex"}), "malformed")


def test_errors_never_contain_the_token_or_the_key(api, project, make_token, admin_token):
    for token in (make_token(exp_in=-5), make_token(key="x" * 40), admin_token + "x"):
        body = api.get(URL, token).content.decode()
        assert token not in body
        assert admin_token not in body


def test_the_key_is_read_at_the_moment_of_use(api, project, make_token, monkeypatch):
    new_key = "a-rotated-admin-token-0123456789-abcdefgh"
    old_token = make_token()
    monkeypatch.setenv(settings.PIPES_ADMIN_TOKEN_ENV, new_key)
    _refused(api.get(URL, old_token), "signature")
    assert api.get(URL, make_token(key=new_key)).status_code == 200


def test_the_key_may_come_from_a_file(api, project, make_token, monkeypatch, tmp_path):
    key = "an-admin-token-from-a-mounted-file-0123456789"
    path = tmp_path / "key"
    path.write_text(key + "\n")
    monkeypatch.delenv(settings.PIPES_ADMIN_TOKEN_ENV)
    monkeypatch.setenv(f"{settings.PIPES_ADMIN_TOKEN_ENV}_FILE", str(path))
    assert api.get(URL, make_token(key=key)).status_code == 200


def test_without_an_admin_token_it_answers_503(api, project, make_token, monkeypatch):
    token = make_token()
    monkeypatch.delenv(settings.PIPES_ADMIN_TOKEN_ENV)
    response = api.get(URL, token)
    assert response.status_code == 503
    assert response.json() == {"error": "the built-in host has no admin token configured"}


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_short_admin_token_is_not_trusted(api, project, monkeypatch):
    short = "short-key"
    monkeypatch.setenv(settings.PIPES_ADMIN_TOKEN_ENV, short)
    token = jwt.encode(
        {"workspace_id": settings.PIPES_WORKSPACE_ID, "exp": int(time.time()) + 60, "scopes": [scope("ep_sales", company_id="acme")]},
        short,
        algorithm="HS256",
    )
    assert api.get(URL, token).status_code == 503
    assert api.get(URL, short, {"company_id": "acme"}).status_code == 503
