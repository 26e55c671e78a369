"""The catalogue of lint rules: id → title, usual severity, what it checks, fix, source.

Rule ids never change meaning once released. docs/lint.md documents every rule listed here (a
test keeps the two in step). Sources are paths in the cloudflare/cloudflare-docs repository as
cited by reference/cloudflare.md (``P/`` = ``src/content/partials/networking-services/``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from netgen.cloudflare import facts
from netgen.lint.model import Finding, Loc, Severity

_REF = "P/reference/gre-ipsec-tunnels.mdx"
_TUN = "P/routing/configure-tunnels.mdx"
_MSS = "P/magic-wan/mtu-mss/mss-clamping-ipsec.mdx, P/magic-wan/mtu-mss/mss-clamping-gre.mdx"
_GUIDES = "P/cloudflare-wan/third-party/{cisco-ios-xe,juniper,strongswan,vyos}.mdx"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    severity: Severity  # the usual severity; ``notes`` say when a finding is downgraded
    checks: str
    fix: str
    source: str
    needs_inventory: bool = False
    notes: str = ""


_MSS_I, _MSS_G = facts.MSS_MAX["ipsec"], facts.MSS_MAX["gre"]
_MTU_I, _MTU_G = facts.MTU_MAX["ipsec"], facts.MTU_MAX["gre"]
_E, _W = Severity.ERROR, Severity.WARNING
_OFFERED = (
    "An unsupported algorithm is an error when the tunnel cannot negotiate without it (no "
    "proposal offers a supported choice of every transform type). Offered next to a supported "
    "choice (as in Cloudflare's Cisco guide: `integrity sha512 sha384 sha256`), it is never "
    "chosen and is a warning."
)

_ALL: Final = (
    Rule(
        id="CF001",
        title="IKEv2 only",
        severity=_E,
        checks="The tunnel negotiates IKEv2 only (no IKEv1, no 'any version').",
        fix="Pin the tunnel to IKEv2.",
        source=f"{_REF} (IKE version: IKEv2 only)",
        notes="A version left open (strongSwan `version = 0`, the default) is a warning: "
        "strongSwan initiates with IKEv2 then, but would also answer IKEv1.",
    ),
    Rule(
        id="CF002",
        title="Router initiates",
        severity=_E,
        checks="The router brings the IKE SA up itself; Cloudflare only operates as an IKE "
        "responder.",
        fix="Make the router the initiator.",
        source=f'{_REF} ("Cloudflare only operates as an IKE responder")',
        notes="Junos `on-traffic` (the default) waits for traffic from the LAN; Cloudflare's "
        "guide and health checks need the tunnel up at once. Cisco sVTIs always initiate.",
    ),
    Rule(
        id="CF003",
        title="Anti-replay disabled",
        severity=_E,
        checks="Anti-replay is off on the router (replay window 0), unless the Cloudflare tunnel "
        "has replay_protection enabled.",
        fix="Disable anti-replay on the router.",
        source="P/reference/anti-replay-protection.mdx",
        notes="Without an inventory the linter cannot know the tunnel's replay_protection, so "
        "anti-replay left on is a warning; with an inventory it is an error unless the tunnel "
        "has `replay_protection: true`.",
    ),
    Rule(
        id="CF004",
        title="IKE proposal supported",
        severity=_E,
        checks="Every IKE (phase 1) algorithm offered is in Cloudflare's set: encryption "
        "AES-GCM-16 128/256 or AES-CBC-256, integrity SHA2-256, PRF SHA2-256/384/512, DH group "
        "20, 14 or 5. A config without any IKE proposal (platform defaults) is flagged too.",
        fix="Offer AES-256-GCM with PRF SHA-256 (or AES-256-CBC with SHA-256) and DH group 20.",
        source=f"{_REF} (phase 1 parameters)",
        notes=_OFFERED,
    ),
    Rule(
        id="CF005",
        title="ESP proposal supported",
        severity=_E,
        checks="Every ESP (phase 2) algorithm offered is in Cloudflare's set: AES-GCM-16 "
        "128/256 or AES-CBC 128/256, integrity SHA2-256 or SHA-1; ESN off.",
        fix="Offer AES-256-GCM (or AES-256-CBC with HMAC-SHA-256) and no ESN.",
        source=f'{_REF} (phase 2 parameters; ESN "(Uncommon)" must be disabled)',
        notes=_OFFERED,
    ),
    Rule(
        id="CF006",
        title="PFS set",
        severity=_E,
        checks="The Child SA uses perfect forward secrecy with DH group 20, 14 or 5.",
        fix="Enable PFS with DH group 20.",
        source=f"{_REF} (PFS: DH 20, 14, 5)",
    ),
    Rule(
        id="CF007",
        title="DPD with restart",
        severity=_E,
        checks="Dead peer detection is on and, where the platform has an action, restarts the "
        "IKE session on timeout.",
        fix="Enable DPD with the restart action.",
        source=f'{_REF} (DPD: "select the option that restarts your IKE session")',
        notes="Cisco IOS-XE and Junos have no DPD action: DPD being on is enough there.",
    ),
    Rule(
        id="CF008",
        title="MSS clamp present",
        severity=_E,
        checks=f"TCP MSS is clamped for the tunnel (IPsec ≤ {_MSS_I}, GRE ≤ {_MSS_G}).",
        fix=f"Clamp TCP MSS to {_MSS_I} (IPsec) or {_MSS_G} (GRE).",
        source=_MSS,
    ),
    Rule(
        id="CF009",
        title="MSS clamp within limits",
        severity=_E,
        checks=f"The MSS clamp is at most {_MSS_I} on IPsec and at most {_MSS_G} on GRE tunnels.",
        fix=f"Clamp to {_MSS_I} (IPsec) or {_MSS_G} (GRE).",
        source=_MSS,
    ),
    Rule(
        id="CF010",
        title="Tunnel MTU within limits",
        severity=_E,
        checks=f"The tunnel interface MTU is at most {_MTU_I} (IPsec) or {_MTU_G} (GRE), and at "
        f"least {facts.MTU_MIN}.",
        fix=f"Set the tunnel MTU to {_MTU_I} (IPsec) or {_MTU_G} (GRE).",
        source="P/reference/mtu-mss.mdx; tunnel-health/troubleshoot-tunnel-health.mdx "
        f'("1400-{_MTU_I} for IPsec"); API `mtu` (default {_MTU_G}, minimum {facts.MTU_MIN})',
    ),
    Rule(
        id="CF011",
        title="Tunnel MTU set",
        severity=_W,
        checks="The tunnel interface MTU is configured (platform defaults can exceed the limit).",
        fix=f"Set the tunnel MTU explicitly: {_MTU_I} (IPsec) or {_MTU_G} (GRE).",
        source="P/reference/mtu-mss.mdx",
    ),
    Rule(
        id="CF012",
        title="Tunnel subnet allowed",
        severity=_E,
        checks="The router's tunnel address is in a /31 (or a usable host of a /30) inside "
        f"{facts.INTERFACE_RANGES_TEXT}.",
        fix="Use the customer side of the tunnel's interface_address /31.",
        source=f"{_TUN}; D/cloudflare-wan/configuration/how-to/configure-tunnel-endpoints.mdx",
    ),
    Rule(
        id="CF013",
        title="Customer side of the /31",
        severity=_E,
        checks="With an inventory: the router's address is the customer host of the tunnel's "
        "interface_address (the address given to Cloudflare is Cloudflare's side).",
        fix="Use the other host of the /31: interface_address is Cloudflare's side.",
        source="P/reference/tunnel-health-checks.mdx (Interface address ranges)",
        needs_inventory=True,
    ),
    Rule(
        id="CF014",
        title="Peer and identity consistent",
        severity=_E,
        checks="The remote IKE identity is the peer's (Cloudflare endpoint's) address as "
        "ID_IPV4_ADDR, and the PSK lookup (keyring peer, secret IDs) matches the peer.",
        fix="Use the tunnel's Cloudflare endpoint address as remote identity.",
        source=f"{_REF} (IKE identities); {_GUIDES}",
        notes="A missing remote identity is a warning (the router then accepts any identity).",
    ),
    Rule(
        id="CF015",
        title="Referenced object defined",
        severity=_E,
        checks="Every object referenced by name is defined: keyrings, IKE and IPsec profiles, "
        "proposals, transform-sets, policies, gateways, zones, tunnel interfaces, "
        "ike-/esp-groups.",
        fix="Define the object, or fix the name in the reference.",
        source=_GUIDES,
        notes="Also flags a Junos st0 unit bound to a VPN but in no security zone, and a "
        "swanctl `if_id_out` without an XFRM interface of that if_id in network.sh. The SRX "
        "factory zones trust, untrust and junos-host count as defined; physical (WAN/LAN) "
        "interfaces are never required to be defined.",
    ),
    Rule(
        id="CF016",
        title="Local identity matches",
        severity=_E,
        checks="With an inventory: the router's local IKE identity is the tunnel's identity "
        "(fqdn_id, user_id or hex_id from the Cloudflare API, or the WAN address).",
        fix="Use this tunnel's identity from the Cloudflare API (`netgen import`).",
        source=f"{_REF} (IKE identities)",
        needs_inventory=True,
    ),
    Rule(
        id="CF017",
        title="Endpoint matches",
        severity=_E,
        checks="With an inventory: the tunnel's peer is the tunnel's cloudflare_endpoint.",
        fix="Point the tunnel at its Cloudflare anycast endpoint.",
        source=_TUN,
        needs_inventory=True,
    ),
    Rule(
        id="CF018",
        title="Tunnel type matches",
        severity=_E,
        checks="With an inventory: GRE tunnels are GRE and IPsec tunnels are IPsec.",
        fix="Configure the tunnel with the type the inventory gives it.",
        source=_TUN,
        needs_inventory=True,
    ),
    Rule(
        id="CF019",
        title="Tunnel in inventory",
        severity=_W,
        checks="With an inventory: every tunnel of the config belongs to the inventory, and "
        "every inventory tunnel of the device is in the config.",
        fix="Add the missing tunnel, or lint against the right inventory.",
        source=_TUN,
        needs_inventory=True,
    ),
    Rule(
        id="CF020",
        title="Pre-shared key authentication",
        severity=_E,
        checks="IKE authenticates both sides with a pre-shared key, and one is configured.",
        fix="Authenticate with a pre-shared key.",
        source=f"{_REF} (authentication: pre-shared key only)",
    ),
    Rule(
        id="CF021",
        title="Config understood",
        severity=_W,
        checks="The linter found everything it needs to check the tunnels (e.g. a Cisco IPsec "
        "tunnel without `tunnel protection`, or strongSwan's swanctl.conf without network.sh, "
        "leave parts unchecked).",
        fix="Pass every file of the device's config.",
        source="netgen",
    ),
    Rule(
        id="CF022",
        title="Tunnels found",
        severity=_E,
        checks="The config holds at least one tunnel the linter can read. A config without "
        "any is an error, so a wrong --vendor or a wrong file never passes silently.",
        fix="Lint with the right --vendor, and the device's whole config.",
        source="netgen",
    ),
)

RULES: Final[dict[str, Rule]] = {r.id: r for r in _ALL}


def markdown(vendor_fixes: Mapping[str, Mapping[str, str]]) -> str:
    """The rule reference of docs/lint.md, generated from this catalogue and the vendor
    profiles' ``lint.fixes`` (display name → rule id → fix); a test compares."""
    out = ["| rule | severity | title | needs an inventory |", "|---|---|---|---|"]
    for r in _ALL:
        inv = "yes" if r.needs_inventory else ""
        out.append(f"| [{r.id}](#{r.id.lower()}) | {r.severity.value} | {r.title} | {inv} |")
    for r in _ALL:
        out += ["", f"### {r.id}", "", f"**{r.title}** ({r.severity.value})", ""]
        out += [f"- Checks: {r.checks}", f"- Fix: {r.fix}"]
        out += [
            f"  - {name}: {fixes[r.id]}" for name, fixes in vendor_fixes.items() if r.id in fixes
        ]
        if r.notes:
            out.append(f"- Note: {r.notes}")
        out.append(f"- Source: {r.source}")
    return "\n".join(out) + "\n"


def finding(
    rule_id: str, loc: Loc, message: str, hint: str | None = None, severity: Severity | None = None
) -> Finding:
    """A finding with the rule's usual severity; without a hint the vendor's fix is added later."""
    return Finding(rule_id, severity or RULES[rule_id].severity, message, loc.file, loc.line, hint)
