"""The catalogue of lint rules: id → title, default severity, what it checks, fix, source.

Rule ids never change meaning once released. docs/lint.md documents every rule listed here (a
test keeps the two in step). Sources are paths in the cloudflare/cloudflare-docs repository as
cited by reference/cloudflare.md (``P/`` = ``src/content/partials/networking-services/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from netgen.lint.model import Severity

_REF = "P/reference/gre-ipsec-tunnels.mdx"
_TUN = "P/routing/configure-tunnels.mdx"
_MTU = "P/reference/mtu-mss.mdx"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    severity: Severity  # the usual severity; some findings are downgraded (see ``notes``)
    checks: str
    fix: str
    source: str
    needs_inventory: bool = False
    notes: str = ""


_E, _W = Severity.ERROR, Severity.WARNING

RULES: Final[dict[str, Rule]] = {
    r.id: r
    for r in (
        Rule("CF001", "IKEv2 only", _E,
             "The tunnel negotiates IKEv2 only (no IKEv1, no 'any version').",
             "Pin IKEv2: Cisco `set ikev2-profile` in the ipsec profile, Junos `version v2-only`, "
             "swanctl `version = 2`, VyOS `key-exchange 'ikev2'`.",
             f"{_REF} (IPsec: IKE version — IKEv2 only)"),
        Rule("CF002", "Router initiates", _E,
             "The router starts the IKE SA itself; Cloudflare only operates as an IKE responder.",
             "Junos `establish-tunnels immediately`, swanctl `start_action = start`, VyOS "
             "`connection-type 'initiate'`.",
             f"{_REF} (\"Cloudflare only operates as an IKE responder\")"),
        Rule("CF003", "Anti-replay disabled", _E,
             "Anti-replay is off on the router (or replay window 0), unless the Cloudflare tunnel "
             "has replay_protection enabled.",
             "Cisco `set security-association replay disable`, Junos `ike no-anti-replay`, "
             "swanctl `replay_window = 0`, VyOS `replay-window '0'`.",
             "P/reference/anti-replay-protection.mdx",
             notes="Without an inventory the linter cannot know the tunnel's replay_protection, "
             "so anti-replay left on is a warning; with an inventory it is an error unless the "
             "tunnel has replay_protection: true."),
        Rule("CF004", "IKE proposal supported", _E,
             "Every IKE (phase 1) algorithm offered is in Cloudflare's set: AES-GCM-16 128/256 or "
             "AES-CBC-256, integrity SHA2-256, PRF SHA2-256/384/512, DH group 20, 14 or 5.",
             "Use netgen's cloudflare-gcm or cloudflare-cbc suite (AES-256, SHA-256, DH 20).",
             f"{_REF} (IPsec: phase 1 parameters)"),
        Rule("CF005", "ESP proposal supported", _E,
             "Every ESP (phase 2) algorithm offered is in Cloudflare's set: AES-GCM-16 128/256 or "
             "AES-CBC 128/256, integrity SHA2-256 or SHA-1; no ESN.",
             "Use AES-256-GCM (or AES-256-CBC with HMAC-SHA-256) and disable ESN.",
             f"{_REF} (IPsec: phase 2 parameters, ESN \"(Uncommon)\")"),
        Rule("CF006", "PFS set", _E,
             "The Child SA uses perfect forward secrecy with DH group 20, 14 or 5.",
             "Cisco `set pfs group20`, Junos `perfect-forward-secrecy keys group20`, swanctl "
             "`esp_proposals = …-ecp384`, VyOS `pfs 'dh-group20'`.",
             f"{_REF} (IPsec: PFS)"),
        Rule("CF007", "DPD with restart", _E,
             "Dead peer detection is enabled and, where the platform has an action, restarts the "
             "IKE session on timeout.",
             "Cisco `dpd 30 10 periodic`, Junos `dead-peer-detection`, swanctl `dpd_delay` + "
             "`dpd_action = restart`, VyOS `dead-peer-detection action 'restart'`.",
             f"{_REF} (DPD: \"select the option that restarts your IKE session\")"),
        Rule("CF008", "MSS clamp present", _E,
             "TCP MSS is clamped on the tunnel (IPsec ≤ 1360, GRE ≤ 1436).",
             "Cisco `ip tcp adjust-mss`, Junos `security flow tcp-mss ipsec-vpn mss 1360` (IPsec) or "
             "policy `tcp-options initial-tcp-mss 1436` (GRE), Linux nftables `maxseg size set`, "
             "VyOS `ip adjust-mss`.",
             "P/magic-wan/mtu-mss/mss-clamping-ipsec.mdx; P/magic-wan/mtu-mss/mss-clamping-gre.mdx"),
        Rule("CF009", "MSS clamp within limits", _E,
             "The MSS clamp is at most 1360 on IPsec and at most 1436 on GRE tunnels.",
             "Clamp to 1360 (IPsec) or 1436 (GRE).",
             "P/magic-wan/mtu-mss/mss-clamping-ipsec.mdx; P/magic-wan/mtu-mss/mss-clamping-gre.mdx"),
        Rule("CF010", "Tunnel MTU within limits", _E,
             "The tunnel interface MTU is at most 1450 (IPsec) or 1476 (GRE) and at least 576.",
             "Set the tunnel MTU to 1450 (IPsec) or 1476 (GRE).",
             f"{_MTU}; tunnel-health/troubleshoot-tunnel-health.mdx; API `mtu` (min 576)"),
        Rule("CF011", "Tunnel MTU set", _W,
             "The tunnel interface MTU is configured (platform defaults can exceed the limit).",
             "Set the MTU explicitly.",
             _MTU),
        Rule("CF012", "Tunnel subnet allowed", _E,
             "The router's tunnel address is in a /31 (or /30, usable host) inside 10.0.0.0/8, "
             "172.16.0.0/12, 192.168.0.0/16 or 169.254.240.0/20.",
             "Use the customer side of the tunnel's interface_address /31.",
             f"{_TUN}; D/cloudflare-wan/configuration/how-to/configure-tunnel-endpoints.mdx"),
        Rule("CF013", "Customer side of the /31", _E,
             "With an inventory: the router's address is the customer host of the tunnel's "
             "interface_address, never Cloudflare's side.",
             "Use the other host of the /31 (interface_address is Cloudflare's side).",
             "P/reference/tunnel-health-checks.mdx (Interface address ranges)",
             needs_inventory=True),
        Rule("CF014", "Peer and identity consistent", _E,
             "The remote IKE identity is the peer (Cloudflare endpoint) address as ID_IPV4_ADDR, "
             "and the PSK lookup / keyring peer matches the tunnel destination.",
             "Set the remote ID (match identity remote / remote-identity / remote.id / remote-id) "
             "to the tunnel's Cloudflare endpoint address.",
             f"{_REF} (IKE identities); vendor guides (third-party/*.mdx)",
             notes="A missing remote ID is a warning where the platform then accepts any ID."),
        Rule("CF015", "Referenced object defined", _E,
             "Every object referenced by name is defined: keyrings, IKE/IPsec profiles, "
             "proposals, transform-sets, policies, gateways, zones, tunnel interfaces, "
             "ike-/esp-groups, connections.",
             "Define the object or fix the name.",
             "vendor configuration guides (P/cloudflare-wan/third-party/*.mdx)"),
        Rule("CF016", "Local identity matches", _E,
             "With an inventory: the router's local IKE ID is the tunnel's identity "
             "(fqdn_id, user_id, hex_id, or the WAN address).",
             "Use the identity from the Cloudflare API (netgen import) for this tunnel.",
             f"{_REF} (IKE identities)",
             needs_inventory=True),
        Rule("CF017", "Endpoint matches", _E,
             "With an inventory: the tunnel's peer is the tunnel's cloudflare_endpoint.",
             "Point the tunnel at its Cloudflare anycast endpoint.",
             _TUN,
             needs_inventory=True),
        Rule("CF018", "Tunnel type matches", _E,
             "With an inventory: GRE tunnels are GRE and IPsec tunnels are IPsec.",
             "Render the tunnel with the type the inventory gives it.",
             _TUN,
             needs_inventory=True),
        Rule("CF019", "Tunnel in inventory", _W,
             "With an inventory: every tunnel of the config is in the inventory and every "
             "inventory tunnel of the device is in the config.",
             "Add the missing tunnel, or lint with the right inventory.",
             _TUN,
             needs_inventory=True),
        Rule("CF020", "Pre-shared key authentication", _E,
             "IKE authenticates with a pre-shared key on both sides.",
             "Use PSK authentication (Cisco `authentication local/remote pre-share`, Junos "
             "`authentication-method pre-shared-keys`, swanctl `auth = psk`).",
             f"{_REF} (Auth: pre-shared key only)"),
        Rule("CF021", "Config understood", _W,
             "The linter found Cloudflare tunnels and everything it needs to check them.",
             "Lint with the right --vendor and pass every file of the config (strongSwan: "
             "swanctl.conf and network.sh).",
             "—"),
    )
}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
