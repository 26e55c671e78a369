"""A stateful fake of Cloudflare's Magic tunnel and route API over real HTTP on 127.0.0.1.

See the package docstring (``tests/cloudflare_fake/__init__.py``) for the API it speaks and
how to use it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from tests.cloudflare_fake.schemas import KINDS, Schemas
from tests.cloudflare_fake.store import ApiError, Store

PREFIX: Final = "/client/v4"
DEFAULT_TOKEN: Final = "fake-cloudflare-token"
DEFAULT_ACCOUNT: Final = "0123456789abcdef0123456789abcdef"
CODE_AUTH: Final = 10000
CODE_ACCOUNT: Final = 9109
CODE_NO_ROUTE: Final = 7000
CODE_METHOD: Final = 7001
CODE_RATE_LIMIT: Final = 971
CODE_INJECTED: Final = 1000
CODE_FAKE_BROKEN: Final = 1099

_ROUTE = re.compile(
    r"/accounts/(?P<account>[^/]+)/magic/(?P<kind>gre_tunnels|ipsec_tunnels|routes)"
    r"(?:/(?P<oid>[^/]+)(?P<psk>/psk_generate)?)?/?"
)
# (has id, ends in psk_generate) -> allowed method -> action
_ACTIONS: Final[dict[tuple[bool, bool], dict[str, str]]] = {
    (False, False): {"GET": "list", "POST": "create"},
    (True, False): {"GET": "get", "PUT": "update", "DELETE": "delete"},
    (True, True): {"POST": "psk_generate"},
}


@dataclass(frozen=True)
class Recorded:
    """One request as the fake saw it, and the status it answered.

    ``path`` is relative to the API root (``/accounts/<id>/magic/gre_tunnels``), ``body`` the
    parsed JSON (None when empty; the raw text when not JSON), ``kind`` one of ``gre_tunnels``,
    ``ipsec_tunnels``, ``routes`` (None for an unknown path), ``action`` one of ``list``,
    ``get``, ``create``, ``update``, ``delete``, ``psk_generate`` (None when not routed).
    """

    method: str
    path: str
    body: Any
    query: Mapping[str, str] = field(default_factory=dict)
    kind: str | None = None
    action: str | None = None
    status: int = 0


@dataclass
class _Fault:
    status: int
    times: int
    skip: int = 0
    method: str | None = None
    kind: str | None = None
    writes_only: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)

    def matches(self, method: str, kind: str | None) -> bool:
        return (
            (self.method is None or self.method == method)
            and (self.kind is None or self.kind == kind)
            and (not self.writes_only or method != "GET")
        )


@dataclass
class _Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def _envelope(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def _error(status: int, code: int, message: str, **headers: str) -> _Answer:
    body = {
        "success": False,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": None,
    }
    return _Answer(status, body, dict(headers))


class FakeCloudflare:
    """The fake server. Use as a context manager, or call :meth:`start` and :meth:`stop`.

    Args:
        token: the API token requests must carry as ``Authorization: Bearer <token>``.
        accounts: account ids the token may use (others answer 403, code 9109); the first
            is the default for seeding and inspection.
        schema_file: the published schemas (default: the shared vendor data).
        debug: check every answer against the schemas before sending it; a broken answer is
            sent as a 500 with ``x-should-retry: false`` and listed in :attr:`problems`.
        fill_defaults: answer with Cloudflare's defaults for omitted fields (GRE mtu 1476,
            ttl 64; IPsec replay_protection and allow_null_cipher false; tunnel health_check
            enabled/reply/mid/unidirectional).
        retry_after_ms: sent as ``retry-after-ms`` on injected 429 and 5xx answers, which the
            SDK honours (it ignores ``Retry-After: 0`` and would back off 0.5-8 s); None to
            leave it out.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        accounts: tuple[str, ...] = (DEFAULT_ACCOUNT,),
        schema_file: Path | None = None,
        debug: bool = True,
        fill_defaults: bool = True,
        retry_after_ms: int | None = 1,
    ) -> None:
        if not accounts:
            raise ValueError("at least one account")
        self.token = token
        self.accounts = accounts
        self.account_id = accounts[0]
        self.schemas = Schemas.load(schema_file)
        self.debug = debug
        self.retry_after_ms = retry_after_ms
        self.requests: list[Recorded] = []
        self.problems: list[str] = []
        self._store = Store(self.schemas, fill_defaults=fill_defaults)
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeCloudflare:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},  # how long stop() waits for the loop to notice
            name="fake-cloudflare",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeCloudflare:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if exc_type is None:
            self.assert_clean()

    @property
    def base_url(self) -> str:
        """What to give the SDK as ``base_url`` / ``CLOUDFLARE_BASE_URL``."""
        if self._server is None:
            raise RuntimeError("the fake is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX}"

    def assert_clean(self) -> None:
        """Fail if any answer broke the published schemas (debug mode)."""
        assert not self.problems, "the fake sent answers that break the schemas:\n" + "\n".join(
            self.problems
        )

    # -- recording -----------------------------------------------------------------------

    def writes(self) -> list[Recorded]:
        """Every recorded request but GETs, in arrival order (failed ones included)."""
        with self._lock:
            return [r for r in self.requests if r.method != "GET"]

    def count(self, method: str | None = None, kind: str | None = None) -> int:
        """How many requests had this method and kind (None: any)."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method) and (kind is None or r.kind == kind)
            )

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- fault injection -----------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        times: int = 1,
        on: str | None = None,
        kind: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``status`` to the next ``times`` requests with method ``on`` and ``kind``.

        Requests with a wrong token are refused before faults apply and do not count.
        """
        _check_kind(kind)
        method = on.upper() if on else None
        with self._lock:
            self._faults.append(_Fault(status, times, 0, method, kind, False, dict(headers or {})))

    def fail_after(self, n_writes: int, status: int, times: int = 1) -> None:
        """Let ``n_writes`` more non-GET requests through, then fail the next ``times``.

        The SDK retries 5xx and 429 itself (``max_retries``): to make a write fail for good,
        pass ``times=max_retries + 1``.
        """
        with self._lock:
            self._faults.append(_Fault(status, times, n_writes, writes_only=True))

    def _fault_for(self, method: str, kind: str | None) -> _Answer | None:
        for fault in self._faults:
            if not fault.matches(method, kind):
                continue
            if fault.skip > 0:
                fault.skip -= 1
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            return self._injected(fault)
        return None

    def _injected(self, fault: _Fault) -> _Answer:
        status = fault.status
        extra: dict[str, str] = {}
        if self.retry_after_ms is not None and (status == 429 or status >= 500):
            extra["retry-after-ms"] = str(self.retry_after_ms)
        if status == 429:
            answer = _error(
                429, CODE_RATE_LIMIT, "Please wait and consider throttling your request speed"
            )
            extra["Retry-After"] = "0"
        else:
            answer = _error(status, CODE_INJECTED, f"HTTP {status} injected by the fake")
        answer.headers.update(extra)
        answer.headers.update(fault.headers)
        return answer

    # -- seeding and inspection ----------------------------------------------------------

    def add_tunnel(self, kind: str, *, account_id: str | None = None, **fields: Any) -> Any:
        """Plant an object (tunnel or route) as if made elsewhere; returns it as answered.

        ``fields`` is a create body; it may also set ``id``, ``created_on``, ``modified_on``
        and, for IPsec, ``psk``. Schemas and unique names apply, netgen-style rules do not.
        """
        _check_kind(kind)
        with self._lock:
            return self._store.create(account_id or self.account_id, kind, fields, seed=True)

    def objects(self, kind: str, account_id: str | None = None) -> list[dict[str, Any]]:
        """The objects of ``kind`` as the API would list them (copies)."""
        _check_kind(kind)
        with self._lock:
            return self._store.list(account_id or self.account_id, kind)

    def psk_of(self, tunnel_id: str, account_id: str | None = None) -> str | None:
        """The PSK last set or generated for an IPsec tunnel (never in any answer)."""
        with self._lock:
            return self._store.psk(account_id or self.account_id, tunnel_id)

    # -- answering -----------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str], raw_body: bytes
    ) -> _Answer:
        """Answer one request (called by the HTTP handler; usable directly in unit tests)."""
        parts = urlsplit(raw_path)
        path = parts.path[len(PREFIX) :] if parts.path.startswith(PREFIX + "/") else parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = _parse_body(raw_body)
        match = _ROUTE.fullmatch(path) if parts.path.startswith(PREFIX + "/") else None
        kind = match["kind"] if match else None
        action = None
        if match:
            action = _ACTIONS[(match["oid"] is not None, match["psk"] is not None)].get(method)
            if match["psk"] and kind != "ipsec_tunnels":
                match = kind = action = None
        with self._lock:
            answer = self._answer(method, headers, match, action, body, query)
            if self.debug:
                problem = self.schemas.check_answer(kind, action, answer.body)
                if problem is not None:
                    self.problems.append(f"{method} {path}: {problem}")
                    answer = _error(
                        500,
                        CODE_FAKE_BROKEN,
                        f"the fake's answer breaks the schema: {problem}",
                        **{"x-should-retry": "false"},
                    )
            self.requests.append(Recorded(method, path, body, query, kind, action, answer.status))
        return answer

    def _answer(
        self,
        method: str,
        headers: Mapping[str, str],
        match: re.Match[str] | None,
        action: str | None,
        body: Any,
        query: Mapping[str, str],
    ) -> _Answer:
        if headers.get("authorization") != f"Bearer {self.token}":
            return _error(403, CODE_AUTH, "Authentication error")
        if match is not None and match["account"] not in self.accounts:
            return _error(403, CODE_ACCOUNT, "Unauthorized to access requested resource")
        fault = self._fault_for(method, match["kind"] if match else None)
        if fault is not None:
            return fault
        if match is None:
            return _error(404, CODE_NO_ROUTE, "No route for that URI")
        if action is None:
            return _error(405, CODE_METHOD, "Method not allowed for this endpoint (in the fake)")
        try:
            result = self._perform(match, action, body, query.get("validate_only") == "true")
        except ApiError as exc:
            return _error(exc.status, exc.code, exc.message)
        return _Answer(200, _envelope(result))

    def _perform(self, match: re.Match[str], action: str, body: Any, dry_run: bool) -> Any:
        store, account, kind, oid = self._store, match["account"], match["kind"], match["oid"]
        singular = kind[:-1]
        if action == "list":
            return {kind: store.list(account, kind)}
        if action == "get":
            return {singular: store.get(account, kind, oid)}
        if action == "create":
            return store.create(account, kind, body, dry_run=dry_run)
        if action == "update":
            obj = store.update(account, kind, oid, body, dry_run=dry_run)
            return {"modified": True, f"modified_{singular}": obj}
        if action == "delete":
            obj = store.delete(account, kind, oid, dry_run=dry_run)
            return {"deleted": True, f"deleted_{singular}": obj}
        return store.psk_generate(account, oid, dry_run=dry_run)


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")


def _parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _handler_for(fake: FakeCloudflare) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30
        disable_nagle_algorithm = True  # headers and body leave in separate writes

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = fake.handle(self.command, self.path, headers, raw)
            data = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the fake records requests itself

    return Handler
