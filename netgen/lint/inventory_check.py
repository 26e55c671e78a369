"""Lint with an inventory: match each tunnel of a config to the inventory tunnel it implements
(by subnet, then by a name it uses) and report where it differs (CF013, CF016-CF019)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, ip_address

from netgen.cloudflare import facts
from netgen.lint.model import (
    ConfigFacts,
    Finding,
    Loc,
    TunnelExpectation,
    TunnelFacts,
)
from netgen.lint.rules import finding

_KIND = facts.TUNNEL_KIND


def same_ip(a: str, b: str) -> bool:
    try:
        return ip_address(a.strip("'\"")) == ip_address(b.strip("'\""))
    except ValueError:
        return False


def _address(t: TunnelFacts) -> IPv4Interface | None:
    try:
        return IPv4Interface(t.address.value) if t.address is not None else None
    except ValueError:
        return None


def _network(e: TunnelExpectation) -> IPv4Network:
    return IPv4Interface(f"{e.cloudflare_address}/{e.prefixlen}").network


def match_expectation(
    t: TunnelFacts, exps: Sequence[TunnelExpectation]
) -> TunnelExpectation | None:
    """The inventory tunnel of ``t``: by subnet (same type first), then by a name it uses."""
    addr = _address(t)
    if addr is not None:
        inside = [e for e in exps if addr.ip in _network(e)]
        same = [e for e in inside if t.kind is None or t.kind.value == e.tunnel_type]
        if same or inside:
            return (same or inside)[0]
    words = {w for label in t.labels for w in label.replace("-", " ").split()}
    names = {w.removeprefix("CF-").removeprefix("KR-") for w in words} | words
    return next((e for e in exps if e.name in names), None)


def _norm_id(value: str) -> str:
    v = value.strip("'\"").lower()
    for prefix in ("keyid:", "fqdn:", "userfqdn:", "email:", "rfc822:", "ipv4:"):
        v = v.removeprefix(prefix)
    return v.lstrip("@")


def _expect(t: TunnelFacts, e: TunnelExpectation) -> Iterator[Finding]:
    if t.kind is not None and t.kind.value != e.tunnel_type:
        yield finding(
            "CF018",
            t.kind.loc,
            f"{t.name}: {_KIND[t.kind.value]} tunnel, but "
            f"inventory tunnel {e.name} is {_KIND.get(e.tunnel_type, e.tunnel_type)}",
        )
    if t.peer is not None and not same_ip(t.peer.value, e.endpoint_address):
        yield finding(
            "CF017",
            t.peer.loc,
            f"{t.peer.text}: peer {t.peer.value}, but inventory "
            f"tunnel {e.name} goes to {e.endpoint_address}",
        )
    if t.address is not None and t.knows("address"):
        want = f"{e.customer_address}/{e.prefixlen}"
        got = _address(t) if "/" in t.address.value else None
        if got is None or got != IPv4Interface(want):
            side = ""
            if got is not None and got.ip == IPv4Address(e.cloudflare_address):
                side = " — that is Cloudflare's side of the tunnel"
            yield finding(
                "CF013",
                t.address.loc,
                f"{t.address.text}: inventory tunnel {e.name} needs the router at {want}{side}",
            )
    if e.tunnel_type == "ipsec" and e.local_id is not None and t.knows("local_id"):
        if t.local_id is None:
            if not _is_ip(e.local_id):
                yield finding(
                    "CF016",
                    t.ike_anchor or t.loc,
                    f"{t.name}: no local identity; inventory tunnel {e.name} needs {e.local_id}",
                )
        elif _norm_id(t.local_id.value) != _norm_id(e.local_id):
            yield finding(
                "CF016",
                t.local_id.loc,
                f"{t.local_id.text}: local identity "
                f"{t.local_id.value}, but inventory tunnel {e.name} needs {e.local_id}",
            )


def _is_ip(value: str) -> bool:
    try:
        ip_address(value)
    except ValueError:
        return False
    return True


def inventory_findings(facts: ConfigFacts, exps: Sequence[TunnelExpectation]) -> Iterator[Finding]:
    seen: set[str] = set()
    for t in facts.tunnels:
        e = match_expectation(t, exps)
        if e is None:
            yield finding(
                "CF019", t.loc, f"{t.name}: no tunnel of the inventory uses this subnet or name"
            )
            continue
        seen.add(e.name)
        yield from _expect(t, e)
    devices = {e.device for e in exps if e.name in seen}
    loc = facts.first_loc or Loc("<config>", 1)
    for e in exps:
        if e.name not in seen and (not seen or e.device in devices):
            yield finding(
                "CF019",
                loc,
                f"inventory tunnel {e.name} ({_KIND.get(e.tunnel_type, e.tunnel_type)} to "
                f"{e.endpoint_address}) is not in this config",
            )
