"""The requests `netgen apply` makes, checked by Prism (``@stoplight/prism-cli``, the mock
Cloudflare's SDK generator tests against) serving an OpenAPI document built from Cloudflare's
published schemas (tests/sync/prism_openapi.py). An independent check of the fake in
tests/cloudflare_fake: Prism validates each request (path, bearer token, body) against the
document and answers 422 with its violations when a body does not match.

Every body is sent as `netgen apply` sends it: rendered by ``api.plan`` from an inventory, then
through ``netgen.sync.client.CloudClient`` (the official SDK) with ``CLOUDFLARE_BASE_URL``
pointing at Prism.

Prism is found in ``$NETGEN_PRISM`` (the executable, or a directory holding
``node_modules/.bin/prism``), ``.ci/node_modules-prism`` (where ``.ci/run`` installs
``.ci/npm-packages.txt``), ``node_modules`` at the repository root, ``prism`` on ``PATH``, or
through ``npx --no-install``; the module skips when none is there. To install it::

    npm install --prefix .ci/node_modules-prism --no-audit --no-fund $(cat .ci/npm-packages.txt)
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final, cast

import pytest

from netgen import api
from tests.scenarios import SCENARIOS, tunnel_id, write_inventory
from tests.sync.prism_openapi import schema_file, write_document

pytest.importorskip("cloudflare")

import httpx

from netgen.sync import client as client_module
from netgen.sync.client import KINDS, CloudClient, CloudError, Kind

PRISM_ENV: Final = "NETGEN_PRISM"
REPO: Final = Path(__file__).resolve().parents[2]
CI_PREFIX: Final = REPO / ".ci" / "node_modules-prism"
STARTUP_SECONDS: Final = 90.0
TOKEN: Final = "fake"
Send = Callable[[], bytes]


def _bin_under(directory: Path) -> Path | None:
    candidate = directory / "node_modules" / ".bin" / "prism"
    return candidate if candidate.is_file() else None


def find_prism() -> tuple[list[str] | None, str]:
    """The command that runs Prism, or None and where it was looked for."""
    looked: list[str] = []
    override = os.environ.get(PRISM_ENV)
    if override:
        path = Path(override).resolve()
        found = _bin_under(path) if path.is_dir() else (path if path.is_file() else None)
        if found is None:
            return None, f"${PRISM_ENV}={override} is neither Prism nor a directory holding it"
        return [str(found)], str(found)
    if shutil.which("node") is None:
        return None, "node is not installed"
    for directory in (CI_PREFIX, REPO):
        found = _bin_under(directory)
        if found is not None:
            return [str(found)], str(found)
        looked.append(str(directory / "node_modules" / ".bin" / "prism"))
    on_path = shutil.which("prism")
    if on_path is not None:
        return [on_path], on_path
    looked.append("prism on PATH")
    npx = shutil.which("npx")
    if npx is not None:
        try:
            probe = subprocess.run(
                [npx, "--no-install", "prism", "--version"],
                cwd=REPO,
                capture_output=True,
                timeout=60,
                check=False,
            )
        except subprocess.TimeoutExpired:
            probe = None
        if probe is not None and probe.returncode == 0:
            return [npx, "--no-install", "prism"], "npx --no-install prism"
        looked.append("npx --no-install prism")
    return None, "not found (looked at " + ", ".join(looked) + ")"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Prism:
    """A running ``prism mock``: its base URL and its log (which names each violation)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    startup_seconds: float = 0.0
    _mark: int = field(default=0)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def mark(self) -> None:
        """Start of the log lines :meth:`violations` reads."""
        self._mark = self.log.stat().st_size

    def violations(self) -> list[str]:
        """Prism's validation messages since :meth:`mark` (one request at a time)."""
        with self.log.open("rb") as handle:
            handle.seek(self._mark)
            text = handle.read().decode("utf-8", "replace")
        return [
            line.split("error", 1)[1].strip()
            for line in text.splitlines()
            if "[VALIDATOR]" in line and "error" in line
        ]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # our own session: npx and its node child
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    command, where = find_prism()
    if command is None:
        pytest.skip(
            f"Prism (@stoplight/prism-cli) is not installed: {where}; install it with "
            "npm install --prefix .ci/node_modules-prism $(cat .ci/npm-packages.txt)"
        )
    schemas = schema_file()
    if not schemas.is_file():
        pytest.skip(f"Cloudflare API schema not found at {schemas}")
    directory = tmp_path_factory.mktemp("prism")
    document = write_document(directory)
    log = directory / "prism.log"
    port = _free_port()
    started = time.monotonic()
    # A request that breaks the document is answered 422 (401 without the bearer token) either
    # way; --errors also turns violations in Prism's own generated answer into an error.
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "mock", str(document), "-p", str(port), "-h", "127.0.0.1", "--errors"],
            cwd=directory,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        while not _listening(port):
            if process.poll() is not None:
                tail = log.read_text("utf-8", "replace")[-3000:]
                pytest.fail(f"prism ({where}) exited with {process.returncode}:\n{tail}")
            if time.monotonic() - started > STARTUP_SECONDS:
                pytest.fail(f"prism ({where}) did not listen on {port} in {STARTUP_SECONDS}s")
            time.sleep(0.1)
        yield Prism(process, port, log, time.monotonic() - started)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sites: hq (2 IPsec + 2 GRE over two ISPs) and branch (2 IPsec)."""
    directory = tmp_path_factory.mktemp("inventory")
    return write_inventory(
        directory, SCENARIOS["mixed"]("cisco_iosxe", None), with_identities=False
    )


@pytest.fixture(scope="module")
def payloads(inventory: Path) -> dict[str, list[dict[str, Any]]]:
    bodies = api.plan(inventory).payloads
    assert {k: len(bodies.get(k, [])) > 0 for k in KINDS} == dict.fromkeys(KINDS, True)
    return bodies


@pytest.fixture(scope="module")
def account(inventory: Path) -> str:
    account_id = api.open_session(inventory).loaded.inventory.account_id
    assert account_id
    return str(account_id)


@pytest.fixture
def client(prism: Prism, account: str, monkeypatch: pytest.MonkeyPatch) -> CloudClient:
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", prism.base_url)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    # Prism answers 5xx only when its own answer breaks the document: fail at once instead of
    # retrying with backoff (retries do not change what is sent).
    monkeypatch.setattr(client_module, "MAX_RETRIES", 0)
    return CloudClient(account)


def _label(body: dict[str, Any]) -> str:
    return str(body.get("name") or f"{body.get('prefix')} via {body.get('nexthop')}")


def _object_id(body: dict[str, Any]) -> str:
    """A fake 32-hex Cloudflare id for the object of ``body``."""
    return tunnel_id(_label(body))


def _refusals(prism: Prism, sends: list[tuple[str, Send]]) -> list[str]:
    """Run each send; describe every one Prism refused, with its violations."""
    out = []
    for label, send in sends:
        prism.mark()
        try:
            raw = send()
        except CloudError as exc:
            out.append(f"{label}: {exc.summary}: {'; '.join(prism.violations()) or '?'}")
            continue
        answer = json.loads(raw)
        if not (isinstance(answer, dict) and answer.get("success") is True):
            out.append(f"{label}: unexpected answer {raw[:300]!r}")
    return out


def test_the_document_is_openapi_3_with_the_operations_apply_uses(tmp_path: Path) -> None:
    if not schema_file().is_file():
        pytest.skip(f"Cloudflare API schema not found at {schema_file()}")
    doc = json.loads(write_document(tmp_path).read_text())
    assert doc["openapi"].startswith("3.0")
    ops = {
        (method, path)
        for path, item in doc["paths"].items()
        for method in item
        if method in {"get", "post", "put", "delete"}
    }
    for kind in KINDS:
        base = f"/accounts/{{account_id}}/magic/{kind}"
        one = next(p for p in doc["paths"] if p.startswith(base + "/{") and p.count("/") == 5)
        assert {("get", base), ("post", base), ("put", one), ("delete", one)} <= ops
    psk = "/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate"
    assert ("post", psk) in ops
    # the GRE and route bodies are the published ones: only their required fields
    gre = doc["paths"]["/accounts/{account_id}/magic/gre_tunnels"]["post"]["requestBody"]
    assert gre["content"]["application/json"]["schema"] == {
        "required": [
            "name",
            "customer_gre_endpoint",
            "cloudflare_gre_endpoint",
            "interface_address",
        ]
    }


def test_lists_are_accepted(prism: Prism, client: CloudClient) -> None:
    sends: list[tuple[str, Send]] = [(f"list {k}", partial(client.list_raw, k)) for k in KINDS]
    assert _refusals(prism, sends) == []


@pytest.mark.parametrize("kind", KINDS)
def test_create_bodies_are_accepted(
    prism: Prism, client: CloudClient, payloads: dict[str, list[dict[str, Any]]], kind: Kind
) -> None:
    sends: list[tuple[str, Send]] = [
        (f"create {kind} {_label(b)}", partial(client.create_raw, kind, b)) for b in payloads[kind]
    ]
    assert _refusals(prism, sends) == []


@pytest.mark.parametrize("kind", KINDS)
def test_update_bodies_are_accepted(
    prism: Prism, client: CloudClient, payloads: dict[str, list[dict[str, Any]]], kind: Kind
) -> None:
    sends: list[tuple[str, Send]] = [
        (f"update {kind} {_label(b)}", partial(client.update_raw, kind, _object_id(b), b))
        for b in payloads[kind]
    ]
    assert _refusals(prism, sends) == []


def test_deletes_and_psk_generation_are_accepted(
    prism: Prism, client: CloudClient, payloads: dict[str, list[dict[str, Any]]]
) -> None:
    sends: list[tuple[str, Send]] = [
        (f"delete {kind} {_label(b)}", partial(client.delete_raw, kind, _object_id(b)))
        for kind in KINDS
        for b in payloads[kind]
    ]
    sends += [
        (f"psk_generate {_label(b)}", partial(client.psk_generate_raw, _object_id(b)))
        for b in payloads["ipsec_tunnels"]
    ]
    assert _refusals(prism, sends) == []
    answer = json.loads(client.psk_generate_raw(_object_id(payloads["ipsec_tunnels"][0])))
    assert isinstance(answer["result"]["psk"], str)


# The document can fail a request: wrong bodies are refused, through netgen's client where the
# SDK lets them through, otherwise (a required argument missing) as raw JSON with the token.


def _ipsec_body(payloads: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return copy.deepcopy(payloads["ipsec_tunnels"][0])


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (lambda b: b["health_check"].update(rate="fast"), "allowed values"),
        (lambda b: b.update(cloudflare_endpoint=3221225994), "must be string"),
        (lambda b: b.update(replay_protection="no"), "must be boolean"),
    ],
    ids=["hc-rate-not-an-enum-value", "endpoint-not-a-string", "replay-not-a-boolean"],
)
def test_a_wrong_ipsec_body_through_the_client_is_refused(
    prism: Prism,
    client: CloudClient,
    payloads: dict[str, list[dict[str, Any]]],
    change: Callable[[dict[str, Any]], object],
    expect: str,
) -> None:
    body = _ipsec_body(payloads)
    change(body)
    sends: list[Send] = [
        lambda: client.create_raw("ipsec_tunnels", body),
        lambda: client.update_raw("ipsec_tunnels", _object_id(body), body),
    ]
    for send in sends:
        prism.mark()
        with pytest.raises(CloudError) as caught:
            send()
        assert caught.value.status == 422
        assert any(expect in v for v in prism.violations()), prism.violations()


@pytest.mark.parametrize(
    ("kind", "drop"),
    [
        ("gre_tunnels", "cloudflare_gre_endpoint"),
        ("gre_tunnels", "interface_address"),
        ("ipsec_tunnels", "cloudflare_endpoint"),
        ("routes", "priority"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_body_missing_a_required_field_is_refused(
    prism: Prism,
    client: CloudClient,
    account: str,
    payloads: dict[str, list[dict[str, Any]]],
    kind: Kind,
    drop: str,
    method: str,
) -> None:
    body = {k: v for k, v in payloads[kind][0].items() if k != drop}
    # the SDK itself refuses to send it (a required argument is missing)
    with pytest.raises(TypeError, match=drop):
        client.create_raw(kind, body)
    url = f"{prism.base_url}/accounts/{account}/magic/{kind}"
    if method == "PUT":
        url += "/" + _object_id(payloads[kind][0])
    answer = httpx.request(method, url, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 422, answer.text
    messages = [cast(dict[str, Any], v)["message"] for v in answer.json()["validation"]]
    assert messages == [f"Request body must have required property '{drop}'"]


def test_a_request_without_the_token_is_refused(prism: Prism, account: str) -> None:
    answer = httpx.get(f"{prism.base_url}/accounts/{account}/magic/gre_tunnels")
    assert answer.status_code == 401


def test_the_client_v4_prefix_is_not_served(prism: Prism, account: str) -> None:
    answer = httpx.get(
        f"{prism.base_url}/client/v4/accounts/{account}/magic/gre_tunnels",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 404
