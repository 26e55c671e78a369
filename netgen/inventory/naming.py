"""Generated tunnel names: honest (never naming another site, device or endpoint), at most
Cloudflare's 15 characters, and sticky through the lock."""

from __future__ import annotations

import hashlib
import re

from netgen.cloudflare import facts
from netgen.core.documents import PathKey

NAME_MAX = facts.TUNNEL_NAME_MAX


Slot = tuple[str, str, str]  # (device, wan, endpoint) of a generated tunnel


_SANITIZE = re.compile(r"[^A-Za-z0-9]")


class NameAllocator:
    """Deterministic, honest tunnel names for generated tunnels.

    Shape: ``<site>_<device number><wan letter>_<endpoint>``, e.g. ``nyc01_1a_cf1`` (device
    number = position of the device name in the site's sorted device names, wan letter =
    position of the link in the device's ``wan`` list). The endpoint part is always whole. A
    site part that does not fit in Cloudflare's 15 characters keeps its start and gets a short
    stable hash of the whole site name (``chicago01`` -> ``chicawpm``), so two sites never share
    one. Where no readable name fits, or two sites would still share a part, the name is left
    to the site's ``tunnel_prefix`` (NG304). Names already in the lock are reused (sticky), so
    adding a device or link never renames an existing tunnel.
    """

    def __init__(self, taken: set[str], sticky: dict[Slot, str]) -> None:
        self.taken = taken
        self.sticky = sticky
        self.site_parts: dict[str, str] = {}  # site part -> the site it stands for
        self.problems: list[tuple[str, PathKey]] = []

    def name(
        self, slot: Slot, site: str, prefix: str | None, numbers: tuple[int, int], path: PathKey
    ) -> str | None:
        """The name of ``slot``, or None (a problem recorded at ``path``)."""
        known = self.sticky.get(slot)
        if known is not None and known not in self.taken:
            self.taken.add(known)
            return known
        endpoint = _SANITIZE.sub("", slot[2]) or "cf"
        middle = f"{numbers[0]}{_letters(numbers[1])}"
        budget = NAME_MAX - len(middle) - len(endpoint) - 2
        site_part = self._site_part(site, prefix, budget)
        candidate = f"{site_part}_{middle}_{endpoint}" if site_part else None
        if candidate is None or candidate in self.taken:
            self.problems.append((_name_problem(slot, site, candidate, budget), path))
            return None
        self.taken.add(candidate)
        return candidate

    def _site_part(self, site: str, prefix: str | None, budget: int) -> str | None:
        whole = prefix or _SANITIZE.sub("", site) or "site"
        if len(whole) > budget:
            if prefix is not None or budget < SITE_PART_MIN:
                return None
            whole = whole[: budget - SITE_HASH_LEN] + _short_hash(site)
        owner = self.site_parts.setdefault(whole, site)
        return whole if owner == site else None


SITE_PART_MIN = 5  # at least two characters of the site before its hash


SITE_HASH_LEN = 3


def _short_hash(text: str) -> str:
    """Three base-36 characters from sha256(text): stable across runs and machines."""
    value = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(digits[(value // 36**i) % 36] for i in range(SITE_HASH_LEN))


def _name_problem(slot: Slot, site: str, candidate: str | None, budget: int) -> str:
    device, wan, endpoint = slot
    what = f"the tunnel of {device}/{wan} to {endpoint}"
    if candidate is None:
        return (
            f"no readable name of at most {NAME_MAX} characters fits {what} (site {site!r}, "
            f"{max(budget, 0)} characters left for the site part)"
        )
    return f"the generated name {candidate} of {what} is already taken"


def _letters(n: int) -> str:
    """0 → a, 25 → z, 26 → ba ..."""
    out = ""
    while True:
        out = chr(ord("a") + n % 26) + out
        n //= 26
        if n == 0:
            return out
