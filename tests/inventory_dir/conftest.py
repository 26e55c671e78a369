"""Inventories split into a directory (netgen.yaml + sites/*.yaml), written as text so that
tests know every line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme"

MAIN = """\
netgen: 1
account: {id: 0123456789abcdef0123456789abcdef}
cloudflare:
  endpoints:
    - {name: cf1, address: 192.0.2.10}
    - {name: cf2, address: 192.0.2.20}
  interface_pool: [10.252.0.0/24]
"""


def site_text(name: str, lan: str, address: str, *, tunnels: str = "") -> str:
    """One site (a VyOS router, one WAN link); ``tunnels`` lines are appended to the device."""
    return (
        f"name: {name}\n"
        f"lan_prefixes: [{lan}]\n"
        "devices:\n"
        f"  - name: {name}-r1\n"
        "    vendor: vyos\n"
        "    wan:\n"
        f"      - {{name: isp-a, interface: eth0, address: {address}, gateway: 203.0.113.1}}\n"
        + tunnels
    )


def write_tree(root: Path, main: str, sites: dict[str, str]) -> Path:
    """``root/netgen.yaml`` and ``root/sites/<file>`` for each of ``sites``."""
    (root / "sites").mkdir(parents=True)
    (root / "netgen.yaml").write_text(main)
    for name, text in sites.items():
        (root / "sites" / name).write_text(text)
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A valid two-site directory inventory."""
    return write_tree(
        tmp_path / "inv",
        MAIN,
        {
            "a.yaml": site_text("alpha", "10.1.0.0/16", "203.0.113.10"),
            "b.yaml": site_text("bravo", "10.2.0.0/16", "203.0.113.20"),
        },
    )


PSK_FILE_TUNNELS = (
    "    tunnels:\n"
    "      - {name: bravo_x_cf1, wan: isp-a, endpoint: cf1, psk: {file: psk-b.txt}}\n"
    "      - {name: bravo_x_cf2, wan: isp-a, endpoint: cf2}\n"
)
