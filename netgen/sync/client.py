"""The Cloudflare SDK, wrapped for netgen: raw response bytes in, :class:`CloudError` out.

The token comes only from ``CLOUDFLARE_API_TOKEN`` (never a flag); the SDK reads its base URL
from ``CLOUDFLARE_BASE_URL`` itself and retries 429 and 5xx answers with backoff
(``max_retries``). Responses stay bytes: the importer reads them exactly as it reads saved
responses, and a PSK in a ``psk_generate`` answer never becomes a string netgen holds.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final, Literal


def _sdk() -> ModuleType:
    """The SDK, imported when a command talks to Cloudflare (it is an optional extra, and
    importing it costs a third of a second that every other command would pay)."""
    return importlib.import_module("cloudflare")


Kind = Literal["gre_tunnels", "ipsec_tunnels", "routes"]
KINDS: Final[tuple[Kind, ...]] = ("gre_tunnels", "ipsec_tunnels", "routes")
TOKEN_ENV: Final = "CLOUDFLARE_API_TOKEN"
MAX_RETRIES: Final = 5


class CloudError(Exception):
    """A request Cloudflare (or the network) refused: status, Cloudflare's codes and messages.
    Never carries a token or a request body."""

    def __init__(self, status: int | None, errors: list[tuple[int | None, str]]) -> None:
        self.status = status
        self.errors = errors
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        parts = [f"{code}: {message}" if code else message for code, message in self.errors]
        head = f"HTTP {self.status}" if self.status else "no answer"
        return head + (" (" + "; ".join(parts) + ")" if parts else "")

    @property
    def auth(self) -> bool:
        return self.status in (401, 403)


@dataclass(frozen=True)
class Unavailable:
    """Why the client cannot be made: the SDK or the token is missing."""

    code: str
    message: str
    hint: str


def unavailable() -> Unavailable | None:
    if importlib.util.find_spec("cloudflare") is None:
        return Unavailable(
            "NG631",
            "the cloudflare package is not installed",
            "pip install 'netgen[cloudflare]' (the official Cloudflare SDK, 5.x)",
        )
    if not os.environ.get(TOKEN_ENV):
        return Unavailable(
            "NG632",
            f"{TOKEN_ENV} is not set",
            f"export {TOKEN_ENV} with a token that may edit Magic WAN/Transit "
            "(netgen never takes a token as a flag)",
        )
    return None


def _errors_of(body: Any) -> list[tuple[int | None, str]]:
    if isinstance(body, dict):
        found = body.get("errors")
        if isinstance(found, list):
            out = []
            for item in found:
                if isinstance(item, dict):
                    code = item.get("code")
                    out.append((code if isinstance(code, int) else None, str(item.get("message"))))
            return out
    return []


class CloudClient:
    """The account's Magic tunnels and routes. One instance per command."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self._module = _sdk()  # present: checked by unavailable()
        self._sdk = self._module.Cloudflare(
            api_token=os.environ[TOKEN_ENV], max_retries=MAX_RETRIES
        )

    def _resource(self, kind: Kind) -> Any:
        magic = self._sdk.magic_transit
        return {"gre_tunnels": magic.gre_tunnels, "ipsec_tunnels": magic.ipsec_tunnels}.get(
            kind, magic.routes
        )

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> bytes:
        sdk = self._module
        try:
            response = method(*args, account_id=self.account_id, **kwargs)
            return bytes(response.http_response.content)
        except sdk.APIStatusError as exc:
            raise CloudError(exc.status_code, _errors_of(exc.body)) from None
        except sdk.APIConnectionError as exc:
            raise CloudError(None, [(None, type(exc).__name__)]) from None

    def list_raw(self, kind: Kind) -> bytes:
        return self._call(self._resource(kind).with_raw_response.list)

    def create_raw(self, kind: Kind, body: dict[str, Any]) -> bytes:
        return self._call(self._resource(kind).with_raw_response.create, **body)

    def update_raw(self, kind: Kind, object_id: str, body: dict[str, Any]) -> bytes:
        return self._call(self._resource(kind).with_raw_response.update, object_id, **body)

    def delete_raw(self, kind: Kind, object_id: str) -> bytes:
        return self._call(self._resource(kind).with_raw_response.delete, object_id)

    def psk_generate_raw(self, tunnel_id: str) -> bytes:
        """The raw answer (it holds the new PSK): pass it to the importer, never decode it."""
        return self._call(
            self._sdk.magic_transit.ipsec_tunnels.with_raw_response.psk_generate, tunnel_id
        )


def listed(raw: bytes, kind: Kind) -> list[dict[str, Any]]:
    """The objects of a list answer (``result.<kind>``)."""
    body = json.loads(raw)
    result = body.get("result") if isinstance(body, dict) else None
    items = result.get(kind) if isinstance(result, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
