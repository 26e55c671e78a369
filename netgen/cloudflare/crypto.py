"""Cloudflare's supported IPsec algorithms and netgen's named crypto profiles.

Source: reference/cloudflare.md §3 (Cloudflare docs, partials/networking-services/reference/
gre-ipsec-tunnels.mdx). Tokens here are neutral; each vendor profile maps them to its keywords.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from netgen.cloudflare import facts
from netgen.core.records import plain_repr


@plain_repr
@dataclass(frozen=True, slots=True)
class CryptoSuite:
    """An IKEv2 + ESP suite in neutral tokens (the allowed sets are in cloudflare.facts)."""

    name: str  # "cloudflare-gcm", "cloudflare-cbc" or "custom"
    ike_encryption: str
    ike_integrity: str | None
    ike_prf: str
    ike_dh_group: int
    esp_encryption: str
    esp_integrity: str | None
    esp_pfs_group: int
    ike_lifetime: int
    child_lifetime: int


PROFILES: Final[dict[str, CryptoSuite]] = {
    "cloudflare-gcm": CryptoSuite(
        name="cloudflare-gcm",
        ike_encryption="aes-256-gcm",
        ike_integrity=None,
        ike_prf="sha256",
        ike_dh_group=20,
        esp_encryption="aes-256-gcm",
        esp_integrity=None,
        esp_pfs_group=20,
        ike_lifetime=facts.IKE_LIFETIME_DEFAULT,
        child_lifetime=facts.CHILD_LIFETIME_DEFAULT,
    ),
    "cloudflare-cbc": CryptoSuite(
        name="cloudflare-cbc",
        ike_encryption="aes-256-cbc",
        ike_integrity="sha256",
        ike_prf="sha256",
        ike_dh_group=20,
        esp_encryption="aes-256-cbc",
        esp_integrity="sha256",
        esp_pfs_group=20,
        ike_lifetime=facts.IKE_LIFETIME_DEFAULT,
        child_lifetime=facts.CHILD_LIFETIME_DEFAULT,
    ),
}


def is_aead(encryption: str) -> bool:
    """GCM is a combined-mode cipher: no separate integrity transform (RFC 7296 §3.3)."""
    return encryption.endswith("-gcm")


def suite_problems(suite: CryptoSuite) -> list[tuple[str, str]]:
    """Every way ``suite`` leaves Cloudflare's supported set, as (field, message) pairs."""
    out: list[tuple[str, str]] = []

    def check(field: str, value: object, allowed: tuple[object, ...]) -> None:
        if value not in allowed:
            listed = ", ".join(str(a) for a in allowed)
            out.append((field, f"{field} {value!r} is not supported by Cloudflare (use {listed})"))

    check("ike.encryption", suite.ike_encryption, facts.IKE_ENCRYPTION)
    check("ike.prf", suite.ike_prf, facts.IKE_PRF)
    check("ike.dh_group", suite.ike_dh_group, facts.DH_GROUPS)
    check("esp.encryption", suite.esp_encryption, facts.ESP_ENCRYPTION)
    check("esp.pfs_group", suite.esp_pfs_group, facts.DH_GROUPS)
    for part, enc, integ, allowed in (
        ("ike", suite.ike_encryption, suite.ike_integrity, facts.IKE_INTEGRITY),
        ("esp", suite.esp_encryption, suite.esp_integrity, facts.ESP_INTEGRITY),
    ):
        if is_aead(enc):
            if integ is not None:
                out.append(
                    (
                        f"{part}.integrity",
                        f"{part}.integrity must be omitted with {enc} (AEAD cipher)",
                    )
                )
        elif integ is None:
            out.append((f"{part}.integrity", f"{part}.integrity is required with {enc}"))
        else:
            check(f"{part}.integrity", integ, allowed)
    return out
