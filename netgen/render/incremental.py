"""Skipping devices whose inputs did not change (``render -o DIR`` and ``render --check``).

A device's files depend only on what its plan is built from, its vendor's profile and
templates, and netgen itself. The **source digest** (:class:`netgen.plan.sources.
SourceDigester`) hashes exactly those, before any planning; MANIFEST.json records it per device
(``devices``). On the next render, a device whose digest is unchanged and whose files
MANIFEST.json lists is neither planned nor rendered: its files are read back from the previous
output after a SHA-256 check against MANIFEST.json (a hand edit makes the device render
again, and is drift for ``--check``) and left where they are. Renders that reveal PSKs
never skip (the plan holds placeholders, not PSKs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netgen.render.output_dir import MANIFEST, read_nofollow


def device_key(site: str, device: str) -> str:
    return f"{site}/{device}"


def device_of(path: str) -> tuple[str, str] | None:
    """(site, device) of a device file of the output tree (``sites/<site>/<device>.<ext>``),
    or None for any other path (MANIFEST.json, cloudflare/*.json)."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "sites":
        return parts[1], parts[2].split(".", 1)[0]
    return None


@dataclass(frozen=True)
class Previous:
    """What the previous render of an output directory recorded."""

    digests: dict[str, str]  # device key -> input digest
    files: dict[str, list[dict[str, Any]]]  # device key -> its MANIFEST entries

    def reusable(self, key: str, digest: str) -> list[dict[str, Any]] | None:
        entries = self.files.get(key)
        return entries if entries and self.digests.get(key) == digest else None


NOTHING = Previous({}, {})


def previous_render(out_dir: Path | None) -> Previous:
    """The device digests and entries of ``out_dir``'s MANIFEST.json (none if unreadable)."""
    if out_dir is None:
        return NOTHING
    try:
        data = json.loads(read_nofollow(out_dir / MANIFEST))
        digests = {str(k): str(v) for k, v in data.get("devices", {}).items()}
        files: dict[str, list[dict[str, Any]]] = {}
        for entry in data["files"]:
            if (found := device_of(str(entry["path"]))) is not None:
                files.setdefault(device_key(*found), []).append(entry)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return NOTHING
    return Previous(digests, files)
