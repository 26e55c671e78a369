"""Config text as the remediation engines read it: comments and blank lines dropped."""

from __future__ import annotations

from collections.abc import Mapping

from netgen.vendors.registry import VendorProfile

# IOS ends a pasted config with `end`; it is not a config line
_NOT_CONFIG = frozenset({"end"})


def config_lines(text: str, comment_prefix: str) -> list[str]:
    """The config lines of ``text`` (indentation kept), without comments and blank lines."""
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(comment_prefix) or stripped in _NOT_CONFIG:
            continue
        out.append(line.rstrip())
    return out


def main_config(profile: VendorProfile, files: Mapping[str, str]) -> str:
    """The text of the device's config file (the vendor's first output), or "" if absent."""
    suffix = profile.outputs[0].filename.replace("{device}", "")
    return next((text for name, text in sorted(files.items()) if name.endswith(suffix)), "")
