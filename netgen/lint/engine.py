"""The lint engine: syntax families, common checks over tunnel facts, inventory cross-check.

Public entry points: :func:`lint_text` (one file), :func:`lint_sources` (every file of one
device, e.g. strongSwan's swanctl.conf + network.sh) and :func:`lint` (a :class:`LintResult`).
Nothing here reads files or prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from ipaddress import IPv4Interface

from netgen.cloudflare import facts
from netgen.cloudflare.addressing import in_allowed_range
from netgen.lint.inventory_check import inventory_findings, match_expectation, same_ip
from netgen.lint.model import (
    At,
    ConfigFacts,
    Finding,
    LintResult,
    Loc,
    Proposal,
    Severity,
    Source,
    TunnelExpectation,
    TunnelFacts,
)
from netgen.lint.rules import RULES, finding
from netgen.lint.syntax import ios, junos_set, swanctl, vyos_set
from netgen.vendors.registry import VendorProfile

Parser = Callable[[Sequence[Source]], ConfigFacts]

PARSERS: dict[str, Parser] = {
    "ios": ios.parse,
    "junos_set": junos_set.parse,
    "swanctl": swanctl.parse,
    "vyos_set": vyos_set.parse,
}

MAX_MSS = facts.MSS_MAX
MAX_MTU = facts.MTU_MAX
MIN_MTU = facts.MTU_MIN
_KIND = facts.TUNNEL_KIND
_IKE_ALLOWED = {
    "encryption": facts.IKE_ENCRYPTION,
    "integrity": facts.IKE_INTEGRITY,
    "prf": facts.IKE_PRF,
    "dh": tuple(str(g) for g in facts.DH_GROUPS),
}
_ESP_ALLOWED = {
    "encryption": facts.ESP_ENCRYPTION,
    "integrity": facts.ESP_INTEGRITY,
    "esn": ("noesn",),  # Cloudflare: ESN must be off
}
_KIND_WORD = {
    "encryption": "encryption",
    "integrity": "integrity",
    "prf": "PRF",
    "dh": "DH group",
    "esn": "ESN setting",
}


def _viable(p: Proposal, allowed: dict[str, tuple[str, ...]]) -> bool:
    """Every transform type offered has at least one choice Cloudflare accepts."""
    kinds = {a.kind for a in p.algos if a.kind in allowed}
    return all(any(a.token in allowed[k] for a in p.algos if a.kind == k) for k in kinds)


def _proposals(t: TunnelFacts) -> Iterator[Finding]:
    """Unsupported algorithms: errors where no proposal can negotiate, else warnings."""
    for part, props, allowed, rid in (
        ("IKE", t.ike_proposals, _IKE_ALLOWED, "CF004"),
        ("ESP", t.esp_proposals, _ESP_ALLOWED, "CF005"),
    ):
        if not t.knows(f"{part.lower()}_proposals"):
            continue
        if not props:
            anchor = t.ike_anchor if part == "IKE" else t.esp_anchor
            yield finding(rid, anchor or t.loc, f"no {part} proposal found")
        usable = any(_viable(p, allowed) for p in props)
        for p in props:
            for a in p.algos:
                if a.kind not in allowed or a.token in allowed[a.kind]:
                    continue
                alone = not any(b.token in allowed[a.kind] for b in p.algos if b.kind == a.kind)
                yield finding(
                    rid,
                    a.loc,
                    f"{part} proposal {p.name}: {_KIND_WORD[a.kind]} {a.text} is not "
                    f"supported by Cloudflare (use {', '.join(allowed[a.kind])})"
                    + ("" if alone and not usable else "; it is offered but never chosen"),
                    severity=Severity.ERROR if alone and not usable else Severity.WARNING,
                )


def _ipsec_checks(t: TunnelFacts, exp: TunnelExpectation | None, inv: bool) -> Iterator[Finding]:
    if t.ike_version is not None and t.knows("ike_version") and t.ike_version.value != "2":
        v1 = t.ike_version.value == "1"
        what = "IKEv1" if v1 else "IKEv1 or IKEv2 (version not pinned)"
        yield finding(
            "CF001",
            t.ike_version.loc,
            f"{t.ike_version.text}: negotiates {what}; Cloudflare accepts IKEv2 only",
            severity=None if v1 else Severity.WARNING,
        )
    if t.initiate is not None and t.knows("initiate") and not t.initiate.value:
        yield finding(
            "CF002",
            t.initiate.loc,
            f"{t.initiate.text}: the router does not initiate; Cloudflare only responds",
        )
    if t.auth is not None and t.knows("auth") and t.auth.value != "psk":
        yield finding(
            "CF020",
            t.auth.loc,
            f"{t.auth.text}: Cloudflare authenticates with a pre-shared key only",
        )
    yield from _proposals(t)
    if t.pfs is not None and t.knows("pfs"):
        if t.pfs.value == "none":
            yield finding("CF006", t.pfs.loc, f"{t.pfs.text}: no PFS")
        elif t.pfs.value not in _IKE_ALLOWED["dh"]:
            yield finding(
                "CF006",
                t.pfs.loc,
                f"{t.pfs.text}: PFS group {t.pfs.value} is not "
                "supported by Cloudflare (use 20, 14 or 5)",
            )
    if t.dpd is not None and t.knows("dpd") and t.dpd.value not in ("restart", "enabled"):
        what = "DPD is not enabled" if t.dpd.value == "none" else f"DPD action {t.dpd.value}"
        yield finding(
            "CF007",
            t.dpd.loc,
            f"{t.dpd.text}: {what}; Cloudflare needs DPD that restarts the IKE session",
        )
    if t.replay is not None and t.knows("replay") and t.replay.value:
        yield from _replay(t.replay, exp, inv)
    yield from _remote_id(t)


def _replay(replay: At[bool], exp: TunnelExpectation | None, inv: bool) -> Iterator[Finding]:
    if exp is not None and exp.replay_protection:
        return
    msg = f"{replay.text}: anti-replay is enabled on the router"
    if exp is not None:
        yield finding(
            "CF003",
            replay.loc,
            f"{msg}, but tunnel {exp.name} has no "
            "replay_protection at Cloudflare (packets from many servers arrive out of "
            "order and are dropped)",
        )
    else:
        yield finding(
            "CF003",
            replay.loc,
            f"{msg}; this is only right if the Cloudflare tunnel "
            "has replay_protection enabled" + ("" if inv else " (lint with an inventory to know)"),
            severity=Severity.WARNING,
        )


def _remote_id(t: TunnelFacts) -> Iterator[Finding]:
    if t.peer is None or not t.knows("remote_id"):
        return
    if t.remote_id is None:
        yield finding(
            "CF014",
            t.ike_anchor or t.loc,
            f"{t.name}: no remote identity set, so any ID is accepted from {t.peer.value}",
            severity=Severity.WARNING,
        )
    elif not same_ip(t.remote_id.value, t.peer.value):
        yield finding(
            "CF014",
            t.remote_id.loc,
            f"{t.remote_id.text}: remote identity "
            f"{t.remote_id.value} is not the peer address {t.peer.value} "
            "(Cloudflare identifies itself by its endpoint address, ID_IPV4_ADDR)",
        )


def _iface_checks(t: TunnelFacts) -> Iterator[Finding]:
    kind = t.kind.value if t.kind is not None else None
    anchor, name = t.interface_loc or t.loc, t.iface or t.name
    if t.knows("mss"):
        if t.mss is None:
            yield finding(
                "CF008",
                anchor,
                f"{name}: no TCP MSS clamp" + (f" (clamp to {MAX_MSS[kind]})" if kind else ""),
            )
        elif kind and t.mss.value > MAX_MSS[kind]:
            yield finding(
                "CF009",
                t.mss.loc,
                f"{t.mss.text}: MSS {t.mss.value} exceeds "
                f"{MAX_MSS[kind]} for {_KIND[kind]} tunnels",
            )
    if t.knows("mtu"):
        if t.mtu is None:
            yield finding("CF011", anchor, f"{name}: tunnel MTU not set")
        elif kind and not MIN_MTU <= t.mtu.value <= MAX_MTU[kind]:
            yield finding(
                "CF010",
                t.mtu.loc,
                f"{t.mtu.text}: MTU {t.mtu.value} is outside "
                f"{MIN_MTU}..{MAX_MTU[kind]} for {_KIND[kind]} tunnels",
            )
    if t.address is not None and t.knows("address"):
        yield from _subnet(t.address)


def _subnet(addr: At[str]) -> Iterator[Finding]:
    try:
        iface = IPv4Interface(addr.value)
    except ValueError:
        yield finding("CF012", addr.loc, f"{addr.text}: not an IPv4 address with a prefix")
        return
    net, plen = iface.network, iface.network.prefixlen
    if plen not in (30, 31):
        yield finding(
            "CF012",
            addr.loc,
            f"{addr.text}: tunnel subnet /{plen}; Cloudflare tunnels use a /31 (or /30)",
        )
    elif plen == 30 and iface.ip in (net.network_address, net.broadcast_address):
        yield finding("CF012", addr.loc, f"{addr.text}: {iface.ip} is not a usable host of {net}")
    elif not in_allowed_range(net):
        yield finding(
            "CF012",
            addr.loc,
            f"{addr.text}: {net} is outside Cloudflare's allowed "
            f"ranges ({facts.INTERFACE_RANGES_TEXT})",
        )


def check_facts(
    facts: ConfigFacts,
    vendor: VendorProfile,
    expectations: Sequence[TunnelExpectation] | None = None,
) -> list[Finding]:
    """Every finding for parsed facts: parser findings, dangling refs, common checks; fixes
    phrased by the vendor profile (``lint.fixes``), else the rule's generic fix."""
    out = list(facts.findings)
    for r in facts.references:
        if (r.kind, r.name) not in facts.defined:
            out.append(finding("CF015", r.loc, f"{r.kind} {r.name} is referenced but not defined"))
    inv = expectations is not None
    for t in facts.tunnels:
        exp = match_expectation(t, expectations) if expectations else None
        if t.is_ipsec:
            out += _ipsec_checks(t, exp, inv)
        out += _iface_checks(t)
    if expectations is not None:
        out += inventory_findings(facts, expectations)
    if not facts.tunnels:
        loc = facts.first_loc or Loc("<config>", 1)
        out.append(finding("CF022", loc, f"no {vendor.id} tunnel found in this config"))
    fixes = vendor.lint.fixes if vendor.lint is not None else {}
    out = [f if f.hint else replace(f, hint=fixes.get(f.rule, RULES[f.rule].fix)) for f in out]
    return sorted(set(out), key=lambda f: (f.file, f.line, f.rule, f.message))


class NotLintableError(ValueError):
    """The vendor profile has no ``lint`` section."""


def lint_sources(
    sources: Sequence[Source],
    vendor: VendorProfile,
    expectations: Sequence[TunnelExpectation] | None = None,
) -> list[Finding]:
    """Lint every file of one device's config together (findings carry their own file)."""
    if vendor.lint is None:
        raise NotLintableError(f"netgen lint does not cover {vendor.display_name} ({vendor.id})")
    facts = PARSERS[vendor.lint.syntax](sources)
    facts.first_loc = Loc(sources[0].file, 1) if sources else None
    return check_facts(facts, vendor, expectations)


def lint_text(
    text: str,
    vendor: VendorProfile,
    file: str,
    expectations: Sequence[TunnelExpectation] | None = None,
) -> list[Finding]:
    """Lint one config file; ``file`` is the name findings report."""
    return lint_sources([Source(file, text)], vendor, expectations)


def lint(
    sources: Sequence[Source],
    vendor: VendorProfile,
    expectations: Sequence[TunnelExpectation] | None = None,
) -> LintResult:
    """Lint one device's files and wrap the findings in a :class:`LintResult`."""
    found = lint_sources(sources, vendor, expectations)
    return LintResult(vendor.id, tuple(s.file for s in sources), tuple(found))
