"""Cloudflare's rules, limits and defaults for Magic WAN / Magic Transit tunnels, in one place.

Every number and range netgen enforces or fills in on Cloudflare's behalf lives here, with its
source; the inventory rules, the settings defaults, lint, the API payloads and docs/errors.md
read them from this module. Sources are paths in the cloudflare/cloudflare-docs repository as
cited by reference/cloudflare.md (``P/`` = ``src/content/partials/networking-services/``).
"""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Final, Literal

TunnelType = Literal["gre", "ipsec"]
TUNNEL_TYPES: Final[tuple[TunnelType, ...]] = ("gre", "ipsec")
TUNNEL_KIND: Final[dict[str, str]] = {"gre": "GRE", "ipsec": "IPsec"}

# -- names: P/routing/configure-tunnels.mdx and the API's magic_name ("must be 15 characters or
# less"; no spaces or special characters; unique in the account)
TUNNEL_NAME_MAX: Final = 15
TUNNEL_NAME_PATTERN: Final = rf"[A-Za-z0-9_]{{1,{TUNNEL_NAME_MAX}}}"

# -- MTU and MSS: the API's magic_mtu (default 1476 = 1500 - 20 IPv4 - 4 GRE, "the minimum value
# is 576"); IPsec: 1450 (P/.../troubleshoot-tunnel-health.mdx "1400-1450", the Cisco and VyOS
# guides). MSS clamp: at most 1436 on GRE (P/magic-wan/mtu-mss/mss-clamping-gre.mdx) and 1360 on
# IPsec (mss-clamping-ipsec.mdx); MSS = MTU - 40 (IPv4 + TCP headers); 536 is the IPv4 minimum.
MTU_MIN: Final = 576
MTU_MAX: Final[dict[str, int]] = {"gre": 1476, "ipsec": 1450}
MTU_DEFAULT: Final[dict[str, int]] = MTU_MAX
MSS_MIN: Final = 536
MSS_MAX: Final[dict[str, int]] = {"gre": 1436, "ipsec": 1360}
MSS_DEFAULT: Final[dict[str, int]] = MSS_MAX
MSS_HEADER_BYTES: Final = 40  # MSS <= MTU - 40

# -- TTL of GRE packets: the API's magic_ttl (default 64; the range is the IPv4 TTL field's)
TTL_MIN: Final = 1
TTL_MAX: Final = 255
TTL_DEFAULT: Final = 64

# -- tunnel interface addresses: P/routing/configure-tunnels.mdx ("interface_address ... a /31
# (or /30) from 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 169.254.240.0/20")
INTERFACE_RANGES: Final = tuple(
    IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.240.0/20")
)
INTERFACE_RANGES_TEXT: Final = (
    ", ".join(str(n) for n in INTERFACE_RANGES[:-1]) + f" or {INTERFACE_RANGES[-1]}"
)
INTERFACE_PREFIXLENS: Final = (31, 30)

# -- health checks: P/reference/tunnel-health-checks.mdx, P/routing/configure-tunnels.mdx
HEALTH_CHECK_TYPES: Final = ("reply", "request")
HEALTH_CHECK_TYPE_DEFAULT: Final = "reply"
HEALTH_CHECK_RATES: Final = ("low", "mid", "high")
HEALTH_CHECK_RATE_DEFAULT: Final = "mid"
HEALTH_CHECK_DIRECTIONS: Final = ("unidirectional", "bidirectional")
# Magic WAN defaults to bidirectional checks, Magic Transit to unidirectional
HEALTH_CHECK_DIRECTION_DEFAULT: Final[dict[str, str]] = {
    "magic-wan": "bidirectional",
    "magic-transit": "unidirectional",
}
# custom (legacy) targets must be in this range (MT/legacy-hc-system.mdx)
LEGACY_HEALTH_CHECK_RANGE: Final = IPv4Network("172.64.240.252/30")

# -- IPsec: P/reference/gre-ipsec-tunnels.mdx (supported IKEv2 / ESP parameters), as neutral
# tokens that each vendor profile maps to its keywords
IKE_ENCRYPTION: Final = ("aes-128-gcm", "aes-256-gcm", "aes-256-cbc")
IKE_INTEGRITY: Final = ("sha256",)
IKE_PRF: Final = ("sha256", "sha384", "sha512")
DH_GROUPS: Final = (20, 14, 5)
ESP_ENCRYPTION: Final = ("aes-128-gcm", "aes-256-gcm", "aes-128-cbc", "aes-256-cbc")
ESP_INTEGRITY: Final = ("sha256", "sha1")
IKE_LIFETIME_RANGE: Final = (180, 86400)
CHILD_LIFETIME_RANGE: Final = (180, 86400)
IKE_LIFETIME_DEFAULT: Final = 86400
CHILD_LIFETIME_DEFAULT: Final = 28800
# "Cloudflare recommends configuring the Child SA rekey interval between 30 minutes and 8 hours"
CHILD_LIFETIME_RECOMMENDED: Final = (1800, 28800)
# DPD: Cloudflare sends no DPD of its own; the router's DPD restarts a dead IKE SA
DPD_INTERVAL_DEFAULT: Final = 30
DPD_TIMEOUT_DEFAULT: Final = 120
LOCAL_ID_DEFAULT: Final = "fqdn"
