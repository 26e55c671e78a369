"""A strongSwan stand-in for Cloudflare's IPsec edge, written from Cloudflare's published rules.

This module must stay independent of netgen: it encodes what Cloudflare documents
(the workplace's reference/cloudflare.md §3, source: cloudflare-docs
``src/content/partials/networking-services/reference/gre-ipsec-tunnels.mdx``), never what netgen
generates. A generated customer config is correct only if it negotiates against this responder.

Rules encoded here:

* IKEv2 only, PSK only, Cloudflare only responds (``start_action = none``, no rekey initiated by
  this side, so the customer's own rekey settings are what gets exercised).
* IKE: AES-GCM-16 128/256 (AEAD, no integrity) or AES-CBC-256 with integrity SHA2-256;
  PRF SHA2-256/384/512; DH 20 (ecp384), 14 (modp2048), 5 (modp1536).
* ESP: AES-GCM-16 128/256, or AES-CBC 128/256 with SHA2-256 or SHA-1; PFS DH 20/14/5 (required:
  every ESP proposal carries a DH group, which strongSwan only checks on CHILD_SA rekeys);
  no ESN.
* Cloudflare's IKE ID is its anycast endpoint as ID_IPV4_ADDR; the customer's ID is one of the
  tunnel's ``remote_identities`` (fqdn_id, user_id ``ipsec@…``, hex_id as ``keyid:…``), or the
  customer endpoint address.
* Anti-replay off (``replay_window = 0``, Cloudflare's ``replay_protection`` default false).
* Traffic selectors 0.0.0.0/0 <-> 0.0.0.0/0 (route-based).
* Post-quantum ML-KEM hybrids are not enumerated: strongSwan 5.9.8 has no ML-KEM.
"""

from __future__ import annotations

import base64
import ipaddress
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

# Cloudflare's supported algorithms, as strongSwan keywords (recommended first: strongSwan as
# responder prefers its own order).
IKE_AEAD_ENCRYPTION = ("aes256gcm16", "aes128gcm16")
IKE_CBC_ENCRYPTION = ("aes256",)
IKE_INTEGRITY = ("sha256",)
IKE_PRF = ("prfsha256", "prfsha384", "prfsha512")
DH_GROUPS = ("ecp384", "modp2048", "modp1536")  # DH 20, 14, 5
ESP_AEAD_ENCRYPTION = ("aes256gcm16", "aes128gcm16")
ESP_CBC_ENCRYPTION = ("aes256", "aes128")
ESP_INTEGRITY = ("sha256", "sha1")  # HMAC_SHA2_256_128, HMAC_SHA1_96

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_SAFE_PSK_RE = re.compile(r"^[\x20-\x7e]+$")


def cloudflare_ike_proposals() -> list[str]:
    """Every IKE proposal Cloudflare accepts, one strongSwan proposal string each."""
    aead = [
        f"{enc}-{prf}-{dh}"
        for enc, prf, dh in itertools.product(IKE_AEAD_ENCRYPTION, IKE_PRF, DH_GROUPS)
    ]
    cbc = [
        f"{enc}-{integ}-{prf}-{dh}"
        for enc, integ, prf, dh in itertools.product(
            IKE_CBC_ENCRYPTION, IKE_INTEGRITY, IKE_PRF, DH_GROUPS
        )
    ]
    return aead + cbc


def cloudflare_esp_proposals() -> list[str]:
    """Every ESP proposal (with PFS group) Cloudflare accepts, one strongSwan string each."""
    aead = [f"{enc}-{dh}" for enc, dh in itertools.product(ESP_AEAD_ENCRYPTION, DH_GROUPS)]
    cbc = [
        f"{enc}-{integ}-{dh}"
        for enc, integ, dh in itertools.product(ESP_CBC_ENCRYPTION, ESP_INTEGRITY, DH_GROUPS)
    ]
    return aead + cbc


@dataclass(frozen=True)
class ResponderTunnel:
    """One Cloudflare IPsec tunnel as the Cloudflare side sees it.

    ``remote_id`` is the customer's IKE ID in swanctl syntax: ``<tunnel>.<account>.ipsec.
    cloudflare.com`` (ID_FQDN), ``ipsec@<tunnel>.<account>.ipsec.cloudflare.com``
    (ID_RFC822_ADDR), ``keyid:<account>_<tunnel>`` (ID_KEY_ID) or an IPv4 address (only valid
    together with ``customer_endpoint``).
    """

    name: str
    cloudflare_endpoint: str
    remote_id: str
    psk: str
    customer_endpoint: str | None = None

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"tunnel name {self.name!r} is not a valid swanctl section name")
        ipaddress.IPv4Address(self.cloudflare_endpoint)
        if self.customer_endpoint is not None:
            ipaddress.IPv4Address(self.customer_endpoint)
        if not self.remote_id or any(c in self.remote_id for c in ' \t\n"{}=#,'):
            raise ValueError(f"remote_id {self.remote_id!r} is empty or not a bare swanctl ID")
        if _is_ipv4(self.remote_id) and self.remote_id != self.customer_endpoint:
            raise ValueError(
                "an ID_IPV4_ADDR remote_id is only allowed when it equals customer_endpoint"
            )
        if not self.psk:
            raise ValueError("psk must not be empty")


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _secret(psk: str) -> str:
    """A swanctl secret literal: quoted if plain printable ASCII, else base64 (``0s…``)."""
    if _SAFE_PSK_RE.match(psk) and '"' not in psk and "\\" not in psk:
        return f'"{psk}"'
    return "0s" + base64.b64encode(psk.encode()).decode()


def responder_swanctl_conf(tunnels: Sequence[ResponderTunnel]) -> str:
    """swanctl.conf for the Cloudflare side: one responder-only connection per tunnel."""
    if not tunnels:
        raise ValueError("need at least one tunnel")
    names = [t.name for t in tunnels]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate tunnel names: {names}")
    ike = ",".join(cloudflare_ike_proposals())
    esp = ",".join(cloudflare_esp_proposals())
    conns: list[str] = []
    secrets: list[str] = []
    for t in tunnels:
        remote_addrs = t.customer_endpoint or "%any"
        conns.append(f"""\
    {t.name} {{
        version = 2
        local_addrs = {t.cloudflare_endpoint}
        remote_addrs = {remote_addrs}
        proposals = {ike}
        # Cloudflare only responds; the customer router initiates and rekeys
        rekey_time = 0s
        reauth_time = 0s
        mobike = no
        unique = replace
        local {{
            auth = psk
            id = {t.cloudflare_endpoint}
        }}
        remote {{
            auth = psk
            id = {t.remote_id}
        }}
        children {{
            {t.name} {{
                mode = tunnel
                local_ts = 0.0.0.0/0
                remote_ts = 0.0.0.0/0
                esp_proposals = {esp}
                replay_window = 0
                rekey_time = 0s
                start_action = none
                dpd_action = clear
                close_action = none
            }}
        }}
    }}""")
        secrets.append(f"""\
    ike-{t.name} {{
        id-cloudflare = {t.cloudflare_endpoint}
        id-customer = {t.remote_id}
        secret = {_secret(t.psk)}
    }}""")
    return (
        "# Cloudflare-profile responder (tests/e2e/cloudflare_responder.py), test use only\n"
        "connections {\n" + "\n".join(conns) + "\n}\n"
        "secrets {\n" + "\n".join(secrets) + "\n}\n"
    )
