"""strongSwan vendor: what the rendered swanctl.conf and network.sh mean, not how they look.

swanctl.conf is parsed with a small parser for its nested ``name { key = value }`` format and
checked against the neutral inventory, the allocation and ``tests.scenarios.identities_for``
(never against the vendor profile's own keyword maps: the expected proposal strings are spelled
out here from strongSwan's documentation). network.sh is checked with ``bash -n`` (and
shellcheck when installed) and for the values of every tunnel.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import pytest

from netgen import api
from netgen.core.errors import UserError
from netgen.inventory.model import Inventory, Tunnel, WanLink
from netgen.vendors.registry import load_registry
from tests.scenarios import (
    SCENARIO_NEEDS,
    SCENARIOS,
    identities_for,
    render_scenario,
    write_inventory,
)

VENDOR = "strongswan"
VERSION = "5.9"
DEVICE = "hq-edge1"
PROFILE = load_registry().vendors[VENDOR]
SUPPORTED = [s for s in SCENARIOS if all(PROFILE.can(c) for c in SCENARIO_NEEDS[s])]
IPSEC = [s for s in SUPPORTED if "ipsec" in SCENARIO_NEEDS[s]]

# strongSwan proposal keywords (docs.strongswan.org config/proposals.html) for Cloudflare's set
ENC = {
    "aes-128-gcm": "aes128gcm16",
    "aes-256-gcm": "aes256gcm16",
    "aes-128-cbc": "aes128",
    "aes-256-cbc": "aes256",
}
INTEG = {"sha256": "sha256", "sha1": "sha1"}
PRF = {"sha256": "prfsha256", "sha384": "prfsha384", "sha512": "prfsha512"}
DH = {20: "ecp384", 14: "modp2048", 5: "modp1536"}

Section = dict[str, Union[str, "Section"]]


# ---------------------------------------------------------------------------------------------
# a small swanctl.conf parser


def _strip_comment(line: str) -> str:
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == "#" and not quoted:
            return line[:i]
    return line


def parse_swanctl(text: str) -> Section:
    """Parse swanctl.conf into nested dicts; duplicate keys/sections are errors."""
    root: Section = {}
    stack = [root]
    for n, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            assert re.fullmatch(r"[A-Za-z0-9_.-]+", name), f"line {n}: section name {name!r}"
            assert name not in stack[-1], f"line {n}: duplicate section {name}"
            child: Section = {}
            stack[-1][name] = child
            stack.append(child)
        elif line == "}":
            stack.pop()
            assert stack, f"line {n}: unbalanced '}}'"
        else:
            key, sep, value = line.partition("=")
            key, value = key.strip(), value.strip()
            assert sep and re.fullmatch(r"[a-z_-][a-z0-9_-]*", key), f"line {n}: {raw!r}"
            assert key not in stack[-1], f"line {n}: duplicate key {key}"
            if value.startswith('"'):
                assert value.endswith('"') and len(value) >= 2, f"line {n}: {raw!r}"
                value = value[1:-1]
                assert '"' not in value and "\\" not in value, f"line {n}: {raw!r}"
            else:
                assert value and not re.search(r'[\s"{}]', value), f"line {n}: {raw!r}"
            stack[-1][key] = value
    assert len(stack) == 1, "unterminated section"
    return root


def sec(parent: Section, key: str) -> Section:
    value = parent[key]
    assert isinstance(value, dict), f"{key} is not a section"
    return value


def val(parent: Section, key: str) -> str:
    value = parent[key]
    assert isinstance(value, str), f"{key} is a section"
    return value


def test_parser_rejects_broken_input() -> None:
    assert parse_swanctl('a {\n  b = 1 # c\n  s = "x # y"\n}\n') == {"a": {"b": "1", "s": "x # y"}}
    for bad in ("a {\n", "}\n", "a {\n b = 1\n b = 2\n}\n", 'a {\n s = "x\n}\n', "a = b c\n"):
        with pytest.raises(AssertionError):
            parse_swanctl(bad)


# ---------------------------------------------------------------------------------------------
# rendering helpers


@dataclass(frozen=True)
class Rendered:
    swanctl: str
    network: str
    inventory: Inventory
    tunnels: list[Tunnel]  # the device's tunnels, in inventory order
    customer: dict[str, str]  # tunnel -> customer side of its /31, e.g. 10.252.0.1/31
    cloudflare: dict[str, str]  # tunnel -> Cloudflare side address

    def wan(self, t: Tunnel) -> WanLink:
        device = next(d for d in self.inventory.devices() if d.name == DEVICE)
        link = device.wan_link(t.wan)
        assert link is not None
        return link

    def endpoint(self, t: Tunnel) -> str:
        ep = self.inventory.endpoint(t.endpoint)
        assert ep is not None
        return str(ep.address)


def render(tmp_path: Path, scenario: str, **kwargs: Any) -> Rendered:
    files = render_scenario(tmp_path, scenario, VENDOR, VERSION, **kwargs)
    assert sorted(files) == [f"sites/hq/{DEVICE}.network.sh", f"sites/hq/{DEVICE}.swanctl.conf"]
    session = api.open_session(tmp_path / "inventory.yaml")
    inv = session.loaded.inventory
    device = next(d for d in inv.devices() if d.name == DEVICE)
    customer, cloudflare = {}, {}
    for name in device.tunnels:
        net = session.allocation.assignments[name].interface_address.network
        assert net.prefixlen == 31
        cloudflare[name] = str(net.network_address)
        customer[name] = f"{net.network_address + 1}/31"
    return Rendered(
        files[f"sites/hq/{DEVICE}.swanctl.conf"],
        files[f"sites/hq/{DEVICE}.network.sh"],
        inv,
        [inv.tunnels[n] for n in device.tunnels],
        customer,
        cloudflare,
    )


def expected_local_id(r: Rendered, t: Tunnel) -> str:
    ids = identities_for(t.name)
    assert ids.fqdn_id and ids.user_id and ids.hex_id
    kind = t.settings.ipsec.local_id
    return {
        "fqdn": str(ids.fqdn_id),
        "user": str(ids.user_id),
        "hex": f"keyid:{ids.hex_id}",
        "ipv4": str(r.wan(t).address),
    }[kind]


def xfrm_links(network_sh: str) -> dict[int, tuple[str, str]]:
    """if_id -> (interface, WAN interface) from the `ip link add ... type xfrm` lines."""
    found = re.findall(
        r"^\s*ip link add (\S+) type xfrm dev '([^']+)' if_id (\d+)$", network_sh, re.M
    )
    out = {int(n): (iface, dev) for iface, dev, n in found}
    assert len(out) == len(found), "duplicate if_id"
    return out


# ---------------------------------------------------------------------------------------------
# swanctl.conf


@pytest.mark.parametrize("scenario", IPSEC)
def test_swanctl_connections(tmp_path: Path, scenario: str) -> None:
    r = render(tmp_path, scenario)
    conf = parse_swanctl(r.swanctl)
    assert set(conf) == {"connections", "secrets"}
    conns, secrets = sec(conf, "connections"), sec(conf, "secrets")
    ipsec = [t for t in r.tunnels if t.settings.tunnel_type == "ipsec"]
    assert set(conns) == {t.name for t in ipsec}
    assert set(secrets) == {f"ike-{t.name}" for t in ipsec}  # one secret per connection
    links = xfrm_links(r.network)
    seen_if_ids = set()
    for t in ipsec:
        c = sec(conns, t.name)
        s = t.settings.ipsec.crypto
        link = r.wan(t)
        endpoint = r.endpoint(t)
        assert val(c, "version") == "2"
        assert val(c, "remote_addrs") == endpoint
        assert val(sec(c, "remote"), "id") == endpoint
        assert val(sec(c, "remote"), "auth") == val(sec(c, "local"), "auth") == "psk"
        local_id = val(sec(c, "local"), "id")
        assert local_id == expected_local_id(r, t)
        if link.behind_nat:
            # the public address after NAT is not on the host: the kernel picks the source
            assert val(c, "local_addrs") == "%any"
            assert (val(c, "encap"), val(c, "local_port"), val(c, "remote_port")) == (
                "yes",
                "4500",
                "4500",
            )
        else:
            assert val(c, "local_addrs") == str(link.address)
            assert not {"encap", "local_port", "remote_port"} & set(c)
        ike = (
            f"{ENC[s.ike_encryption]}-"
            + ("" if s.ike_integrity is None else f"{INTEG[s.ike_integrity]}-")
            + f"{PRF[s.ike_prf]}-{DH[s.ike_dh_group]}"
        )
        assert val(c, "proposals") == ike
        assert val(c, "rekey_time") == f"{s.ike_lifetime}s"
        assert val(c, "reauth_time") == "0s"
        assert val(c, "dpd_delay") == f"{t.settings.ipsec.dpd_interval}s"
        assert val(c, "mobike") == "no"
        assert val(c, "keyingtries") == "0"

        children = sec(c, "children")
        assert list(children) == [t.name]
        ch = sec(children, t.name)
        esp = (
            f"{ENC[s.esp_encryption]}-"
            + ("" if s.esp_integrity is None else f"{INTEG[s.esp_integrity]}-")
            + DH[s.esp_pfs_group]
        )
        assert val(ch, "esp_proposals") == esp  # PFS group always present
        assert val(ch, "rekey_time") == f"{s.child_lifetime}s"
        assert val(ch, "mode") == "tunnel"
        assert val(ch, "local_ts") == val(ch, "remote_ts") == "0.0.0.0/0"
        assert val(ch, "start_action") == "start"
        assert val(ch, "dpd_action") == "restart"
        assert val(ch, "close_action") == "start"
        window = int(val(ch, "replay_window"))
        assert (window > 0) if t.settings.replay_protection else (window == 0)
        if_id = int(val(ch, "if_id_in"))
        assert val(ch, "if_id_out") == str(if_id) and if_id > 0
        assert if_id not in seen_if_ids
        seen_if_ids.add(if_id)
        iface, wan_dev = links[if_id]  # network.sh creates the XFRM interface with that if_id
        assert wan_dev == link.interface
        assert f"ip addr replace {r.customer[t.name]} dev {iface}\n" in r.network

        secret = sec(secrets, f"ike-{t.name}")
        assert val(secret, "id-local") == local_id
        assert val(secret, "id-remote") == endpoint
        assert val(secret, "secret") == f"<redacted:psk:{t.name}>"
    assert set(links) == seen_if_ids


@pytest.mark.parametrize("scenario", ["ipsec-dual-isp", "behind-nat", "custom-crypto"])
def test_revealed_psks_are_hex_encoded(tmp_path: Path, scenario: str) -> None:
    """swanctl decodes secrets starting with 0x/0s even when quoted (load_creds.c), and
    '"'/'\\' would need escapes: the real PSK is always written as 0x<hex>."""
    tricky = ["0sQUJD", '"quoted" #{x}', "back\\slash", "0xdeadbeef", "plain-PSK"]
    names = [t.name for t in render(tmp_path / "names", scenario).tunnels]
    psks = {n: tricky[i % len(tricky)] for i, n in enumerate(names)}
    r = render(tmp_path / "real", scenario, psks=psks, reveal_secrets=True)
    secrets = sec(parse_swanctl(r.swanctl), "secrets")
    for n in names:
        value = val(sec(secrets, f"ike-{n}"), "secret")
        assert value.startswith("0x")
        assert bytes.fromhex(value[2:]).decode() == psks[n]
    assert "<redacted" not in r.swanctl


def test_gre_only_device_has_no_connections(tmp_path: Path) -> None:
    r = render(tmp_path, "gre-dual-isp")
    assert parse_swanctl(r.swanctl) == {}
    assert "no IPsec tunnels" in r.swanctl


# ---------------------------------------------------------------------------------------------
# network.sh


@pytest.mark.parametrize("scenario", SUPPORTED)
def test_network_sh(tmp_path: Path, scenario: str) -> None:
    r = render(tmp_path, scenario)
    sh = r.network
    lines = sh.splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    first_command = next(i for i, ln in enumerate(lines) if ln and not ln.startswith("#"))
    assert lines[first_command] == "set -euo pipefail"
    script = tmp_path / "network.sh"
    script.write_text(sh)
    res = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr

    for t in r.tunnels:
        link = r.wan(t)
        endpoint = r.endpoint(t)
        cust = r.customer[t.name]
        assert int(ipaddress.IPv4Interface(cust).ip) & 1 == 1
        m = re.search(rf"^ip addr replace {re.escape(cust)} dev (\S+)$", sh, re.M)
        assert m, (t.name, cust)
        iface = m.group(1)
        # never Cloudflare's side on our interface
        assert not re.search(rf"ip addr replace {re.escape(r.cloudflare[t.name])}/", sh)
        assert f"ip link set dev {iface} mtu {t.settings.mtu} " in sh
        mss = t.settings.mss
        for direction in ("iifname", "oifname"):
            assert (
                f'{direction} "{iface}" tcp flags syn tcp option maxseg size > {mss} '
                f"tcp option maxseg size set {mss}"
            ) in sh
        assert f"net.ipv4.conf.{iface}.rp_filter=2" in sh
        assert f"net.ipv4.conf.{iface}.accept_local=1" in sh
        if t.settings.tunnel_type == "gre":
            assert iface.startswith("cfgre") and len(iface) <= 15
            local = "" if link.behind_nat else f"local {link.address} "
            gre = f"mode gre {local}remote {endpoint} ttl {t.settings.ttl} dev '{link.interface}'"
            assert f"ip tunnel add {iface} {gre}\n" in sh
            assert f"ip tunnel change {iface} {gre}\n" in sh
        else:
            assert iface.startswith("xfrm")
        # the underlay host route to the endpoint via this tunnel's WAN gateway
        underlay = (
            rf"^ip route replace {re.escape(endpoint)}/32 via {link.gateway} "
            rf"dev '{re.escape(link.interface)}'( table 1[89]\d)?$"
        )
        assert re.search(underlay, sh, re.M), (t.name, underlay)

    # no two tunnels share an interface; nothing unexpanded
    ifaces = re.findall(r"^ip addr replace \S+/31 dev (\S+)$", sh, re.M)
    assert len(ifaces) == len(set(ifaces)) == len(r.tunnels)
    assert "{{" not in sh and "<unsupported" not in sh and "None" not in sh

    if shutil.which("shellcheck"):
        res = subprocess.run(
            ["shellcheck", "-s", "bash", str(script)], capture_output=True, text=True, check=False
        )
        assert res.returncode == 0, res.stdout


def test_network_sh_is_executable(tmp_path: Path) -> None:
    path = write_inventory(tmp_path, SCENARIOS["mixed"](VENDOR, VERSION))
    files = {f.path: f for f in api.render(path, None, devices=[DEVICE]).files}
    assert files[f"sites/hq/{DEVICE}.network.sh"].executable
    assert not files[f"sites/hq/{DEVICE}.swanctl.conf"].executable


def _route_lines(sh: str, prefix: str) -> list[str]:
    return [ln for ln in sh.splitlines() if ln.startswith(f"ip route replace {prefix} ")]


def test_mixed_ecmp_and_backup_metric(tmp_path: Path) -> None:
    r = render(tmp_path, "mixed")
    ipsec = [t for t in r.tunnels if t.settings.tunnel_type == "ipsec"]
    gre = [t for t in r.tunnels if t.settings.tunnel_type == "gre"]
    lines = _route_lines(r.network, "10.20.0.0/15")
    assert len(lines) == 2, lines
    primary, backup = lines
    assert primary.startswith("ip route replace 10.20.0.0/15 metric 1 nexthop")
    assert backup.startswith("ip route replace 10.20.0.0/15 metric 11 nexthop")
    for line, group in ((primary, ipsec), (backup, gre)):
        hops = re.findall(r"nexthop via (\S+) dev (\S+) weight 1", line)
        assert [h[0] for h in hops] == [r.cloudflare[t.name] for t in group]
        assert all(h[1].startswith("xfrm" if group is ipsec else "cfgre") for h in hops)


def test_single_next_hop_per_metric_uses_plain_via(tmp_path: Path) -> None:
    inv = SCENARIOS["mixed"](VENDOR, VERSION)
    for i, t in enumerate(inv["sites"][0]["devices"][0]["tunnels"]):
        t["priority"] = 100 + 10 * i  # four distances, one next hop each
    path = write_inventory(tmp_path, inv)
    files = api.render(path, None, devices=[DEVICE]).files
    sh = next(f.content.decode() for f in files if f.path.endswith(".network.sh"))
    lines = _route_lines(sh, "10.20.0.0/15")
    metrics = [re.search(r" metric (\d+)$", ln) for ln in lines]
    assert [m.group(1) for m in metrics if m] == ["1", "11", "21", "31"], lines
    assert all(" via 10.252." in ln and "nexthop" not in ln for ln in lines)


def test_underlay_policy_routing_per_wan(tmp_path: Path) -> None:
    sh = render(tmp_path, "ipsec-dual-isp").network
    assert "ip rule add from 203.0.113.10 lookup 181 priority 181\n" in sh
    assert "ip rule add from 198.51.100.20 lookup 182 priority 182\n" in sh
    assert "while ip rule del priority 181 2>/dev/null; do :; done\n" in sh


def test_behind_nat_underlay_in_main_table(tmp_path: Path) -> None:
    sh = render(tmp_path, "behind-nat").network
    assert "ip rule add from 198.51.100.20" not in sh  # not an address of this host
    assert "ip route replace 192.0.2.10/32 via 198.51.100.1 dev 'eth1'\n" in sh
    assert "ip rule add from 203.0.113.10 lookup 181 priority 181\n" in sh


def test_legacy_health_check_target(tmp_path: Path) -> None:
    r = render(tmp_path, "legacy-hc")
    sh = r.network
    assert "sysctl -q -w net.ipv4.fwmark_reflect=1\n" in sh
    for n in range(1, len(r.tunnels) + 1):
        iface = f"xfrm{n}"
        mark = f"{7200 + n}"
        assert f"ip addr replace 172.64.240.253/32 dev {iface}\n" in sh
        assert f"ip route replace default dev {iface} table {mark}\n" in sh
        assert (
            f"ip rule add from 172.64.240.253 fwmark {mark} lookup {mark} priority {mark}\n"
        ) in sh
        assert (
            f'iifname "{iface}" ip daddr 172.64.240.253 icmp type echo-request meta mark set {mark}'
        ) in sh
    assert "fwmark_reflect" not in render(tmp_path / "plain", "ipsec-dual-isp").network


# ---------------------------------------------------------------------------------------------
# injection: free text that reaches network.sh / swanctl.conf


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("interface", "eth0'; reboot; '"),
        ("interface", "eth0$(reboot)"),
        ("interface", "eth0`reboot`"),
        ("interface", "eth0\nreboot"),
        ("description", "x' ; reboot ; '"),
        ("description", "a } b"),
        ("description", "a # b"),
        ("description", 'a "b"'),
    ],
)
def test_unsafe_text_is_refused(tmp_path: Path, field: str, value: str) -> None:
    inv = SCENARIOS["mixed"](VENDOR, VERSION)
    device = inv["sites"][0]["devices"][0]
    if field == "interface":
        device["wan"][0]["interface"] = value
    else:
        device["tunnels"][0]["description"] = value
    path = write_inventory(tmp_path, inv)
    with pytest.raises(UserError) as exc:
        api.render(path, None, devices=[DEVICE])
    assert {d.code for d in exc.value.diagnostics} == {"NG502"}


def test_safe_punctuation_in_description_stays_literal(tmp_path: Path) -> None:
    inv = SCENARIOS["mixed"](VENDOR, VERSION)
    inv["sites"][0]["devices"][0]["tunnels"][0]["description"] = "HQ (A) & B | <x> * ~ ! ?"
    path = write_inventory(tmp_path, inv)
    files = api.render(path, None, devices=[DEVICE]).files
    sh = next(f.content.decode() for f in files if f.path.endswith(".network.sh"))
    assert "alias 'HQ (A) & B | <x> * ~ ! ?' up\n" in sh
    script = tmp_path / "n.sh"
    script.write_text(sh)
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0


def test_wan_table_is_the_position_in_the_wan_list(tmp_path: Path) -> None:
    """An unused WAN link keeps its position: tables are stable when tunnels move."""
    inv = SCENARIOS["mixed"](VENDOR, VERSION)
    wans = inv["sites"][0]["devices"][0]["wan"]
    wans.insert(0, {"name": "isp-z", "interface": "eth9", "address": "198.51.100.77",
                    "gateway": "198.51.100.65"})  # fmt: skip
    path = write_inventory(tmp_path, inv)
    files = api.render(path, None, devices=[DEVICE]).files
    sh = next(f.content.decode() for f in files if f.path.endswith(".network.sh"))
    assert "ip rule add from 203.0.113.10 lookup 182 priority 182\n" in sh
    assert "ip rule add from 198.51.100.20 lookup 183 priority 183\n" in sh
    assert "lookup 181" not in sh and "eth9" not in sh
    assert "ignore_routing_tables = 182 183\n" in sh
