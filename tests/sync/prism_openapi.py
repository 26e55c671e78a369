"""An OpenAPI 3.0 document of Cloudflare's Magic tunnel and route endpoints, for a Prism mock.

Built only from Cloudflare's published schemas (``cloudflare/magic-api-2024-08-06.json`` in the
shared vendor data: ``$NETGEN_VENDOR_DATA`` or ``../shared/vendor-data`` beside the repository):
the request bodies are used exactly as published (the GRE and route ``request`` schemas hold
only ``required``: no fields are invented for them), the answers are the published
``response_200`` schemas (``*_create`` describes the old bulk answer; fine for a mock).

Paths are the SDK's paths relative to its base URL (``/accounts/{account_id}/magic/...``), the
server is the real API's (``https://api.cloudflare.com/client/v4``): Prism matches a request's
path against the document's paths, so the SDK is pointed at ``http://127.0.0.1:PORT``
(``CLOUDFLARE_BASE_URL``) without the ``/client/v4`` prefix.

Operations (every one behind bearer authentication, as the API token is sent):

- ``GET``/``POST`` ``/accounts/{account_id}/magic/{gre_tunnels,ipsec_tunnels,routes}``
  (list and create);
- ``PUT``/``DELETE`` ``/accounts/{account_id}/magic/<kind>/{id}`` (update with the create body;
  the answer of both is the published API envelope, the schemas have no object-level answer);
- ``POST /accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate`` (no body).

Run as a script to print the document: ``python -m tests.sync.prism_openapi [SCHEMAS_JSON]``.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path
from typing import Any, Final

VENDOR_DATA_ENV: Final = "NETGEN_VENDOR_DATA"
SCHEMA_NAME: Final = "magic-api-2024-08-06.json"
SERVER: Final = "https://api.cloudflare.com/client/v4"
KINDS: Final = ("gre_tunnels", "ipsec_tunnels", "routes")
# The path parameter naming one object, as the SDK and Cloudflare's document name it.
ID_PARAMS: Final = {
    "gre_tunnels": "gre_tunnel_id",
    "ipsec_tunnels": "ipsec_tunnel_id",
    "routes": "route_id",
}
LIST_OPS: Final = {
    "gre_tunnels": "gre_tunnels_list",
    "ipsec_tunnels": "ipsec_tunnels_list",
    # The published extract has no routes_list answer: the create answer has the same shape
    # (``result.routes``: a list of routes).
    "routes": "routes_create",
}
JSON: Final = "application/json"


def schema_file() -> Path:
    """Where the published schemas live (the directory may be missing: callers skip)."""
    override = os.environ.get(VENDOR_DATA_ENV)
    base = (
        Path(override)
        if override
        else Path(__file__).resolve().parents[2] / ".." / "shared" / "vendor-data"
    )
    return (base / "cloudflare" / SCHEMA_NAME).resolve()


def load_published(path: Path | None = None) -> dict[str, Any]:
    """The published operations: ``{op: {"request": schema, "response_200": schema}}``."""
    data = json.loads((path or schema_file()).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path or schema_file()}: expected a JSON object of operations")
    return data


def _identifier(name: str) -> dict[str, Any]:
    # Cloudflare's document types every identifier as a string of at most 32 characters.
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "maxLength": 32},
    }


def _answer(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"200": {"description": description, "content": {JSON: {"schema": schema}}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def envelope(published: dict[str, Any]) -> dict[str, Any]:
    """The API's common answer envelope (``success``, ``errors``, ``messages``, ``result``):
    the first part of every published ``response_200``."""
    parts = published["gre_tunnels_create"]["response_200"]["allOf"]
    return copy.deepcopy(parts[0])


def build_document(published: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.0 document (a plain dict, JSON-serialisable)."""
    account = _identifier("account_id")
    paths: dict[str, Any] = {}
    for kind in KINDS:
        create = published[f"{kind}_create"]
        listed = published[LIST_OPS[kind]]
        request = copy.deepcopy(create["request"])
        id_param = ID_PARAMS[kind]
        paths[f"/accounts/{{account_id}}/magic/{kind}"] = {
            "parameters": [account],
            "get": {
                "operationId": f"{kind}_list",
                "responses": _answer(copy.deepcopy(listed["response_200"])),
            },
            "post": {
                "operationId": f"{kind}_create",
                "requestBody": _body(request),
                "responses": _answer(copy.deepcopy(create["response_200"])),
            },
        }
        paths[f"/accounts/{{account_id}}/magic/{kind}/{{{id_param}}}"] = {
            "parameters": [account, _identifier(id_param)],
            "put": {
                "operationId": f"{kind}_update",
                "requestBody": _body(copy.deepcopy(request)),
                "responses": _answer(envelope(published)),
            },
            "delete": {
                "operationId": f"{kind}_delete",
                "responses": _answer(envelope(published)),
            },
        }
    paths["/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate"] = {
        "parameters": [account, _identifier("ipsec_tunnel_id")],
        "post": {
            "operationId": "psk_generate",
            "responses": _answer(copy.deepcopy(published["psk_generate"]["response_200"])),
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Cloudflare Magic tunnels and routes (from the published schemas)",
            "version": SCHEMA_NAME,
        },
        "servers": [{"url": SERVER}],
        "security": [{"api_token": []}],
        "components": {"securitySchemes": {"api_token": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    }


def write_document(directory: Path, published: dict[str, Any] | None = None) -> Path:
    """Write the document as ``cloudflare-magic.openapi.json`` in ``directory``."""
    path = directory / "cloudflare-magic.openapi.json"
    doc = build_document(published if published is not None else load_published())
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    json.dump(build_document(load_published(source)), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
