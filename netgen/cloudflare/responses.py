"""Saved Cloudflare API responses: parsing, models and classification.

Models use Cloudflare's own field names (reference/cloudflare.md §5, API schema 2024-08-06) and
ignore unknown fields, because the API grows. :func:`read_response` turns the raw bytes of one
saved response into the tunnels and PSKs it carries, each with its JSON path
(``result.ipsec_tunnels[3]``), or into diagnostics that name the file and the path.

A PSK is held as :class:`pydantic.SecretStr`: its repr never shows the value, and no diagnostic
built here ever includes an input value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface
from typing import Any, Final, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from netgen.core.errors import Diagnostic, Position, Severity
from netgen.core.limits import (
    DEPTH_HINT,
    LENGTH_HINT,
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_STRING,
    NG_DEPTH,
    NG_LENGTH,
    NG_SIZE,
    limit_problem,
)

# NG6xx (part 1): reading responses (catalogued in netgen.core.codes).
NG_JSON: Final = "NG601"
NG_HTML: Final = "NG602"
NG_SHAPE: Final = "NG603"
NG_API_ERROR: Final = "NG604"
NG_OBJECT: Final = "NG605"
NG_SKIPPED: Final = "NG606"

TunnelKind = Literal["gre", "ipsec"]


class _Api(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ApiMessage(_Api):
    code: int | None = None
    message: str = ""


class Envelope(_Api):
    success: bool
    errors: list[ApiMessage] = Field(default_factory=list)
    messages: list[ApiMessage] = Field(default_factory=list)
    result: Any = None


class HealthCheck(_Api):
    enabled: bool | None = None
    type: str | None = None
    rate: str | None = None
    direction: str | None = None
    target: str | dict[str, Any] | None = None


class RemoteIdentities(_Api):
    fqdn_id: str | None = None
    user_id: str | None = None
    hex_id: str | None = None


class PskMetadata(_Api):
    last_generated_on: str | None = None


class GreTunnel(_Api):
    id: str | None = None
    name: str
    customer_gre_endpoint: IPv4Address
    cloudflare_gre_endpoint: IPv4Address
    interface_address: IPv4Interface
    description: str | None = None
    ttl: int | None = None
    mtu: int | None = None
    health_check: HealthCheck | None = None
    created_on: str | None = None
    modified_on: str | None = None

    @property
    def cloudflare_address(self) -> IPv4Address:
        return self.cloudflare_gre_endpoint

    @property
    def customer_address(self) -> IPv4Address | None:
        return self.customer_gre_endpoint


class IpsecTunnel(_Api):
    id: str | None = None
    name: str
    customer_endpoint: IPv4Address | None = None
    cloudflare_endpoint: IPv4Address
    interface_address: IPv4Interface
    description: str | None = None
    replay_protection: bool | None = None
    remote_identities: RemoteIdentities | None = None
    psk_metadata: PskMetadata | None = None
    health_check: HealthCheck | None = Field(
        default=None, validation_alias=AliasChoices("health_check", "tunnel_health_check")
    )
    created_on: str | None = None
    modified_on: str | None = None

    @property
    def cloudflare_address(self) -> IPv4Address:
        return self.cloudflare_endpoint

    @property
    def customer_address(self) -> IPv4Address | None:
        return self.customer_endpoint


class PskGenerated(_Api):
    """``POST .../ipsec_tunnels/{id}/psk_generate`` result; ``psk`` is never shown."""

    ipsec_id: str | None = None
    ipsec_tunnel_id: str | None = None
    psk: SecretStr
    psk_metadata: PskMetadata | None = None

    @property
    def tunnel_id(self) -> str | None:
        return self.ipsec_tunnel_id or self.ipsec_id


@dataclass(frozen=True)
class FoundTunnel:
    path: str
    kind: TunnelKind
    tunnel: GreTunnel | IpsecTunnel


@dataclass(frozen=True)
class FoundPsk:
    path: str
    psk: PskGenerated


@dataclass
class Classified:
    """What one response carries, and what was wrong with it."""

    file: str
    shape: str = ""
    tunnels: list[FoundTunnel] = field(default_factory=list)
    psks: list[FoundPsk] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def problem(
        self,
        code: str,
        path: str,
        message: str,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        where = f"{path}: " if path else ""
        self.diagnostics.append(
            Diagnostic(code, where + message, severity, Position(self.file), hint, path or None)
        )


# result key -> (tunnel kind, is a list)
TUNNEL_KEYS: Final[dict[str, tuple[TunnelKind, bool]]] = {
    "gre_tunnels": ("gre", True),
    "gre_tunnel": ("gre", False),
    "modified_gre_tunnel": ("gre", False),
    "modified_gre_tunnels": ("gre", True),
    "ipsec_tunnels": ("ipsec", True),
    "ipsec_tunnel": ("ipsec", False),
    "modified_ipsec_tunnel": ("ipsec", False),
    "modified_ipsec_tunnels": ("ipsec", True),
}
SKIPPED_KEYS: Final = (
    "routes",
    "route",
    "modified_route",
    "modified_routes",
    "deleted_route",
    "deleted_routes",
    "deleted_gre_tunnel",
    "deleted_ipsec_tunnel",
)
ACCEPTED: Final = (
    "result.gre_tunnels[], result.gre_tunnel, result.modified_gre_tunnel, the "
    "ipsec_tunnel equivalents, or a psk_generate result"
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class _NumberTooLongError(Exception):
    pass


def _parse_int(digits: str) -> int:
    if len(digits) > MAX_STRING:  # int() of ~4300+ digits is a ValueError, and slow before
        raise _NumberTooLongError
    return int(digits)


def decode_json(raw: bytes, file: str) -> tuple[Any, list[Diagnostic]]:
    """Parse ``raw`` as JSON; empty, HTML, truncated and malformed files are NG601/NG602;
    documents over netgen's size, depth and length limits NG107/NG108/NG109."""
    pos = Position(file)
    if len(raw) > MAX_DOCUMENT_BYTES:
        limit = MAX_DOCUMENT_BYTES // (1024 * 1024)
        msg = f"file is larger than {limit} MiB, the most netgen reads"
        return None, [Diagnostic(NG_SIZE, msg, position=pos, hint="save the response again")]
    head = raw.lstrip()[:1024].lower()
    if not head:
        return None, [
            Diagnostic(
                NG_JSON,
                "file is empty",
                position=pos,
                hint="save the API response body, e.g. curl ... > file.json",
            )
        ]
    if head.startswith(b"<") or (head[:1] not in (b"{", b"[") and b"<html" in head):
        match = _TITLE.search(raw[:8192])
        title = " ".join(match.group(1).decode("utf-8", "replace").split())[:80] if match else ""
        said = f" (title: {title!r})" if title else ""
        return None, [
            Diagnostic(
                NG_HTML,
                f"this is an HTML page, not a JSON API response{said}",
                position=pos,
                hint="the request hit an error or login page: check the URL, the token and "
                "`curl -sS --fail-with-body`, then save the response again",
            )
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Diagnostic(NG_JSON, f"not UTF-8 text (byte {exc.start})", position=pos)]
    try:
        data = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        msg = f"nested deeper than {MAX_DEPTH} levels"
        return None, [Diagnostic(NG_DEPTH, msg, position=pos, hint=DEPTH_HINT)]
    except _NumberTooLongError:
        msg = f"a number longer than {MAX_STRING} digits"
        return None, [Diagnostic(NG_LENGTH, msg, position=pos, hint=LENGTH_HINT)]
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            msg = "truncated JSON: the document ends early"
            hint = "the download was cut off; save the response again"
        else:
            msg, hint = f"JSON syntax error: {exc.msg}", "save the response again, unedited"
        return None, [
            Diagnostic(NG_JSON, msg, position=Position(file, exc.lineno, exc.colno), hint=hint)
        ]
    return _within_limits(data, pos)


def _within_limits(data: Any, pos: Position) -> tuple[Any, list[Diagnostic]]:
    problem = limit_problem(data)
    if problem is None:
        return data, []
    code, loc = problem
    path = ""
    for part in loc:
        path += (
            f"[{part}]" if isinstance(part, int) else (f".{part:.40}" if path else f"{part:.40}")
        )
    if code == NG_DEPTH:
        msg, hint = f"nested deeper than {MAX_DEPTH} levels", DEPTH_HINT
    else:
        msg, hint = f"a string longer than {MAX_STRING} characters", LENGTH_HINT
    where = f"{path}: " if path else ""
    return None, [Diagnostic(code, where + msg, position=pos, hint=hint, field=path or None)]


def read_response(raw: bytes, file: str) -> Classified:
    """Decode and classify one saved response."""
    data, diags = decode_json(raw, file)
    if diags:
        return Classified(file, diagnostics=diags)
    return classify(data, file)


def classify(data: Any, file: str) -> Classified:
    """The tunnels and PSKs one parsed document carries, each with its JSON path."""
    out = Classified(file)
    if not isinstance(data, dict) or "success" not in data:
        kind = type(data).__name__ if not isinstance(data, dict) else "object without `success`"
        out.problem(
            NG_SHAPE,
            "",
            f"not a Cloudflare API response envelope (a JSON {kind})",
            "import the whole response body as the API returned it: "
            '{"success": ..., "errors": [...], "messages": [...], "result": ...}',
        )
        return out
    try:
        env = Envelope.model_validate(data)
    except ValidationError as exc:
        _object_errors(out, "", exc)
        return out
    if not env.success:
        _api_errors(out, env)
        return out
    _classify_result(out, env.result)
    return out


def _api_errors(out: Classified, env: Envelope) -> None:
    out.shape = "error"
    hint = "fix the request and save the new response; nothing was imported"
    if not env.errors:
        out.problem(NG_API_ERROR, "success", "Cloudflare reported failure without details", hint)
    for i, err in enumerate(env.errors):
        code = f" {err.code}" if err.code is not None else ""
        out.problem(NG_API_ERROR, f"errors[{i}]", f"Cloudflare error{code}: {err.message}", hint)


def _classify_result(out: Classified, result: Any) -> None:
    if not isinstance(result, dict):
        out.problem(
            NG_SHAPE, "result", f"unexpected result ({type(result).__name__}); expected " + ACCEPTED
        )
        return
    for key, (kind, many) in TUNNEL_KEYS.items():
        if key in result:
            out.shape = key
            value = result[key]
            if many and isinstance(value, list):
                for i, item in enumerate(value):
                    _add_tunnel(out, f"result.{key}[{i}]", kind, item)
            elif many:
                out.problem(NG_SHAPE, f"result.{key}", "expected a list of tunnels")
            else:
                _add_tunnel(out, f"result.{key}", kind, value)
            return
    if "psk" in result:
        out.shape = "psk_generate"
        try:
            out.psks.append(FoundPsk("result", PskGenerated.model_validate(result)))
        except ValidationError as exc:
            _object_errors(out, "result", exc)
        return
    if "name" in result and "interface_address" in result:  # newer API: the tunnel itself
        kind = "gre" if "cloudflare_gre_endpoint" in result else "ipsec"
        out.shape = f"{kind}_tunnel"
        _add_tunnel(out, "result", kind, result)
        return
    skipped = [k for k in SKIPPED_KEYS if k in result]
    if skipped:
        out.shape = skipped[0]
        out.problem(
            NG_SKIPPED,
            f"result.{skipped[0]}",
            "nothing netgen imports; skipped",
            severity=Severity.WARNING,
        )
        return
    out.problem(NG_SHAPE, "result", "unrecognised result; expected " + ACCEPTED)


def _add_tunnel(out: Classified, path: str, kind: TunnelKind, item: Any) -> None:
    model: type[GreTunnel] | type[IpsecTunnel] = GreTunnel if kind == "gre" else IpsecTunnel
    try:
        out.tunnels.append(FoundTunnel(path, kind, model.model_validate(item)))
    except ValidationError as exc:
        _object_errors(out, path, exc)


def _object_errors(out: Classified, base: str, exc: ValidationError) -> None:
    """Pydantic errors without input values (a PSK must never reach a message)."""
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        path = base
        for part in err["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        msg = "missing" if err["type"] == "missing" else str(err["msg"])
        out.problem(NG_OBJECT, path, msg, "import the response exactly as the API returned it")
