"""Cloudflare's limits live in netgen/cloudflare/facts.py only, and the docs say the same."""

from __future__ import annotations

import re
from pathlib import Path

from netgen.cloudflare import facts

ROOT = Path(__file__).resolve().parents[2]
# Cloudflare's MTU/MSS numbers and address ranges, as they would be written as literals
LITERALS = re.compile(
    r"\b("
    + "|".join(str(n) for n in {*facts.MTU_MAX.values(), *facts.MSS_MAX.values()})
    + rf"|{facts.MTU_MIN}|{facts.MSS_MIN})\b"
    + r"|169\.254\.24|172\.64\.240|10\.0\.0\.0/8|\b10/8\b|172\.16\.0\.0/12|192\.168\.0\.0/16"
)


def test_no_other_module_spells_cloudflare_limits() -> None:
    found = []
    for path in sorted((ROOT / "netgen").rglob("*.py")):
        if path == ROOT / "netgen" / "cloudflare" / "facts.py":
            continue
        for no, line in enumerate(path.read_text().splitlines(), start=1):
            if LITERALS.search(line):
                found.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()}")
    assert found == []


def _doc_row(code: str) -> str:
    text = (ROOT / "docs" / "errors.md").read_text()
    match = re.search(rf"^\| {code} \|.*$", text, re.M)
    assert match, code
    return match.group(0)


def test_errors_doc_states_the_limits_of_facts() -> None:
    gre, ipsec = "gre", "ipsec"
    assert (
        f"{facts.MTU_MIN}..{facts.MTU_MAX[gre]} (GRE) or {facts.MTU_MIN}..{facts.MTU_MAX[ipsec]}"
        in _doc_row("NG350")
    )
    assert (
        f"{facts.MSS_MIN}..{facts.MSS_MAX[gre]} (GRE) / {facts.MSS_MIN}..{facts.MSS_MAX[ipsec]}"
        in _doc_row("NG351")
    )
    assert f"{facts.TTL_MIN}..{facts.TTL_MAX}" in _doc_row("NG352")
    assert f"({facts.TTL_DEFAULT})" in _doc_row("NG352")
    assert str(facts.LEGACY_HEALTH_CHECK_RANGE) in _doc_row("NG361")
    low, high = facts.IKE_LIFETIME_RANGE
    assert f"{low}..{high}" in _doc_row("NG373")
    assert "{}..{}".format(*facts.CHILD_LIFETIME_RECOMMENDED) in _doc_row("NG373")
    for net in facts.INTERFACE_RANGES:
        assert str(net) in _doc_row("NG311")


def test_inventory_doc_states_the_defaults_of_facts() -> None:
    text = (ROOT / "docs" / "inventory.md").read_text()
    mtu = re.search(r"^\| `mtu` \|.*$", text, re.M)
    mss = re.search(r"^\| `mss` \|.*$", text, re.M)
    ttl = re.search(r"^\| `ttl` \|.*$", text, re.M)
    assert mtu and mss and ttl
    assert f"GRE {facts.MTU_DEFAULT['gre']}, IPsec {facts.MTU_DEFAULT['ipsec']}" in mtu.group(0)
    assert f"GRE {facts.MSS_DEFAULT['gre']}, IPsec {facts.MSS_DEFAULT['ipsec']}" in mss.group(0)
    assert f"| {facts.TTL_DEFAULT} |" in ttl.group(0)
