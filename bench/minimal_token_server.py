"""The floor for Panes' token endpoint: what Tinybird's guide's Flask example does, as plain WSGI.

No login, no session, no tenant, no database: on every request it builds the payload (the same
four PIPES:READ scopes with company_id fixed that the demo's "sales-overview" dashboard gets),
signs a fresh JWT with PyJWT and returns it as JSON. Served by gunicorn with Panes' own
``config/gunicorn.conf.py`` so the comparison is like for like::

    TB_SIGNING_KEY=... gunicorn -c config/gunicorn.conf.py --chdir bench minimal_token_server:application
"""
from __future__ import annotations

import json
import os
import time

import jwt

WORKSPACE_ID = os.environ.get("PIPES_WORKSPACE_ID", "00000000-0000-4000-8000-00000000fa9e")
PIPES = ("kpi_totals", "sales_by_city", "sales_by_day", "top_products")
TTL_SECONDS = 15 * 60


def token_payload(company_id: str) -> dict:
    now = int(time.time())
    return {
        "workspace_id": WORKSPACE_ID,
        "name": f"frontend_jwt_{company_id}",
        "iat": now,
        "exp": now + TTL_SECONDS,
        "scopes": [
            {"type": "PIPES:READ", "resource": pipe, "fixed_params": {"company_id": company_id}} for pipe in PIPES
        ],
    }


def application(environ: dict, start_response) -> list[bytes]:
    if environ.get("PATH_INFO") != "/api/token":
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"error":"not found"}']
    payload = token_payload("acme")
    # Read at the moment of use, as Panes does, and signed anew on every request.
    token = jwt.encode(payload, os.environ["TB_SIGNING_KEY"], algorithm="HS256")
    body = json.dumps({"token": token, "expires_at": payload["exp"]}).encode()
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")],
    )
    return [body]
