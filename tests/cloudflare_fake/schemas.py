"""Cloudflare's published JSON schemas for the Magic endpoints, as the fake's referee.

The schemas come from ``cloudflare/magic-api-2024-08-06.json`` in the shared vendor data
(``$NETGEN_VENDOR_DATA`` or ``../shared/vendor-data`` beside the repository). That file holds,
per operation, ``request`` (the POST body of one object) and ``response_200``:

- ``gre_tunnels_create`` / ``routes_create``: ``request`` is only ``{"required": [...]}``, so each
  body is also checked against the object schema of the list answer (property types, enums).
- ``ipsec_tunnels_create``: ``request`` has properties and types.
- ``*_create.response_200`` describes the 2024 *bulk* answer (``result.gre_tunnels[]``); the SDK
  5.x sends one object and gets one object back, which the envelope schema accepts (the list is
  not required). Every object in an answer is therefore also checked against its object schema.
- There is no ``routes_list``: ``routes_create.response_200`` (``result.routes[]``) is the same
  shape and stands in for it. get/update/delete answers are checked against the envelope and
  their object against the object schema.

Messages never quote the rejected value (a request body may carry a PSK).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jsonschema

VENDOR_DATA_ENV: Final = "NETGEN_VENDOR_DATA"
SCHEMA_NAME: Final = "magic-api-2024-08-06.json"
KINDS: Final = ("gre_tunnels", "ipsec_tunnels", "routes")

# The fake's own error answer (Cloudflare's envelope with success false); the published
# envelope requires success == true, so it cannot check errors. No minimum on ``code``: the
# published one (1000) is broken by Cloudflare's own rate-limit answer, code 971.
ERROR_ENVELOPE: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["success", "errors", "messages", "result"],
    "properties": {
        "success": {"const": False},
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "integer"},
                    "message": {"type": "string", "minLength": 1},
                },
            },
        },
        "messages": {"type": "array"},
        "result": {"type": "null"},
    },
}


def default_schema_file() -> Path:
    """Where the published schemas live (the directory may be missing: callers skip)."""
    override = os.environ.get(VENDOR_DATA_ENV)
    base = (
        Path(override)
        if override
        else Path(__file__).resolve().parents[2] / ".." / "shared" / "vendor-data"
    )
    return (base / "cloudflare" / SCHEMA_NAME).resolve()


def _describe(error: Any) -> str:
    """One line about a jsonschema error, naming the field but never its value."""
    where = ".".join(str(p) for p in error.absolute_path) or "body"
    validator = str(error.validator)
    if validator == "required":
        return f"{where}: {error.message}"  # "'name' is a required property"
    if validator == "type":
        return f"{where}: must be of type {error.validator_value}"
    if validator in ("enum", "const"):
        return f"{where}: must be one of {error.validator_value}"
    return f"{where}: fails {validator} {error.validator_value!r}"


def _first_error(validator: Any, instance: Any) -> str | None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return _describe(errors[0]) if errors else None


@dataclass(frozen=True)
class Schemas:
    """Validators built from the published file."""

    request: dict[str, Any]  # kind -> validator of one request body
    item: dict[str, Any]  # kind -> validator of one object as answered
    answer: dict[tuple[str, str], Any]  # (kind, action) -> validator of a whole answer
    envelope: Any  # the success envelope alone
    error: Any

    @classmethod
    def load(cls, path: Path | None = None) -> Schemas:
        """Read the schema file (``FileNotFoundError`` names the path when it is missing)."""
        path = path or default_schema_file()
        ops: dict[str, Any] = json.loads(path.read_text())
        make = jsonschema.Draft7Validator

        def result_items(op: str, key: str) -> Any:
            part = ops[op]["response_200"]["allOf"][1]
            return part["properties"]["result"]["properties"][key]["items"]

        item = {
            "gre_tunnels": make(result_items("gre_tunnels_list", "gre_tunnels")),
            "ipsec_tunnels": make(result_items("ipsec_tunnels_list", "ipsec_tunnels")),
            "routes": make(result_items("routes_create", "routes")),
        }
        request = {kind: make(ops[f"{kind}_create"]["request"]) for kind in KINDS}
        answer = {
            ("gre_tunnels", "list"): make(ops["gre_tunnels_list"]["response_200"]),
            ("gre_tunnels", "create"): make(ops["gre_tunnels_create"]["response_200"]),
            ("ipsec_tunnels", "list"): make(ops["ipsec_tunnels_list"]["response_200"]),
            ("ipsec_tunnels", "create"): make(ops["ipsec_tunnels_create"]["response_200"]),
            ("ipsec_tunnels", "psk_generate"): make(ops["psk_generate"]["response_200"]),
            ("routes", "list"): make(ops["routes_create"]["response_200"]),
            ("routes", "create"): make(ops["routes_create"]["response_200"]),
        }
        envelope = make(ops["gre_tunnels_list"]["response_200"]["allOf"][0])
        return cls(request, item, answer, envelope, make(ERROR_ENVELOPE))

    def check_request(self, kind: str, body: Any) -> str | None:
        """Why ``body`` is not a valid create/update body of ``kind``, or None."""
        if not isinstance(body, dict):
            return "body: must be a JSON object"
        return _first_error(self.request[kind], body) or _first_error(self.item[kind], body)

    def check_object(self, kind: str, obj: Any) -> str | None:
        """Why ``obj`` is not a valid object of ``kind`` as Cloudflare answers it, or None."""
        return _first_error(self.item[kind], obj)

    def check_answer(self, kind: str | None, action: str | None, body: Any) -> str | None:
        """Why a whole answer (success or error envelope) breaks the published schemas."""
        if isinstance(body, dict) and body.get("success") is False:
            return _first_error(self.error, body)
        problem = _first_error(self.envelope, body)
        validator = self.answer.get((kind or "", action or ""))
        if problem is None and validator is not None:
            problem = _first_error(validator, body)
        if problem is None and kind is not None:
            for obj in objects_in(kind, body.get("result")):
                problem = problem or self.check_object(kind, obj)
        return problem


def objects_in(kind: str, result: Any) -> list[Any]:
    """The objects of ``kind`` an answer's ``result`` carries (one, a list, or none)."""
    if not isinstance(result, dict):
        return []
    singular = kind[:-1]
    if "id" in result:
        return [result]  # a create answer: the object itself
    found: list[Any] = []
    for key in (kind, singular, f"modified_{singular}", f"deleted_{singular}"):
        value = result.get(key)
        if isinstance(value, list):
            found.extend(value)
        elif value is not None:
            found.append(value)
    return found
