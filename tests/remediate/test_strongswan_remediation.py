"""netgen.remediate.strongswan on real renders: which connections are closed, restarted and
loaded, what is deleted from the host, in which order, and that no PSK is ever printed.

The renders come from the neutral inventory (tests.scenarios, documentation addresses): a
strongSwan device with one WAN link and two IPsec tunnels (one per Cloudflare endpoint), then
variants of it rendered in the same directory, so the lock keeps every /31 where it was.
"""

from __future__ import annotations

import copy
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from netgen import api
from netgen.remediate.strongswan import remediate_strongswan
from tests.scenarios import base, render_scenario, write_inventory

DEVICE = "hq-edge1"
FIRST, SECOND = "hq_1a_cf1", "hq_1a_cf2"
CONF, NETWORK = f"{DEVICE}.swanctl.conf", f"{DEVICE}.network.sh"

Files = dict[str, str]


def two_tunnels() -> dict[str, Any]:
    """hq-edge1 (strongSwan 5.9): one WAN link, tunnels hq_1a_cf1 (xfrm1) and hq_1a_cf2 (xfrm2)."""
    inv = base("strongswan", "5.9")
    device = inv["sites"][0]["devices"][0]
    device["wan"] = device["wan"][:1]  # isp-a, eth0, 203.0.113.10
    return inv


def with_tunnels(*tunnels: dict[str, Any]) -> dict[str, Any]:
    inv = two_tunnels()
    inv["sites"][0]["devices"][0]["tunnels"] = list(tunnels)
    return inv


def tunnel(name: str, endpoint: str, **settings: Any) -> dict[str, Any]:
    return {"name": name, "wan": "isp-a", "endpoint": endpoint, **settings}


def second_removed() -> dict[str, Any]:
    return with_tunnels(tunnel(FIRST, "cf1"))


def second_changed() -> dict[str, Any]:
    """The second tunnel gets another MTU, the CBC suite and a shorter DPD interval."""
    return with_tunnels(
        tunnel(FIRST, "cf1"),
        tunnel(
            SECOND, "cf2", mtu=1400, ipsec={"crypto": "cloudflare-cbc", "dpd": {"interval": 20}}
        ),
    )


def render_device(directory: Path, inv: dict[str, Any], **kwargs: Any) -> Files:
    """The device's files by name; rendering into the same ``directory`` keeps the lock."""
    path = write_inventory(directory, inv)
    files = api.render(path, None, devices=[DEVICE], **kwargs).files
    return {Path(f.path).name: f.content.decode() for f in files if f.path.startswith("sites/")}


def render_pair(
    directory: Path, old: dict[str, Any], new: dict[str, Any], **kwargs: Any
) -> tuple[Files, Files]:
    return render_device(directory, old, **kwargs), render_device(directory, new, **kwargs)


def commands(script: list[str]) -> list[str]:
    """The script's lines without comments and blank lines."""
    return [line for line in script if line.strip() and not line.lstrip().startswith("#")]


def index(script: list[str], pattern: str) -> int:
    """Position of the first line matching ``pattern`` (regex search)."""
    found = [i for i, line in enumerate(script) if re.search(pattern, line)]
    assert found, f"/{pattern}/ not in script:\n" + "\n".join(script)
    return found[0]


def matching(script: list[str], pattern: str) -> list[str]:
    return [line for line in commands(script) if re.search(pattern, line)]


def assert_bash_syntax(script: list[str]) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is missing")
    res = subprocess.run(
        [bash, "-n"], input="\n".join(script) + "\n", capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stderr


def assert_well_formed(script: list[str]) -> None:
    assert script[:2] == ["#!/bin/bash", "set -euo pipefail"]
    assert_bash_syntax(script)
    assert not [line for line in script if re.search(r"\bsecret\s*=", line)]
    assert "<redacted:psk:" not in "\n".join(script)


# ---------------------------------------------------------------------------------------------
# no difference


def test_identical_renders_give_no_scripts(tmp_path: Path) -> None:
    files = render_device(tmp_path, two_tunnels())
    assert remediate_strongswan(files, dict(files), DEVICE) == ([], [])
    assert remediate_strongswan({}, {}, DEVICE) == ([], [])


def test_comment_only_changes_give_no_scripts(tmp_path: Path) -> None:
    """The header (version, digest) is comment: nothing to do on the router."""
    files = render_device(tmp_path, two_tunnels())
    touched = {
        name: text.replace("# Config digest: sha256:", "# Config digest: sha256:0") + "# end\n"
        for name, text in files.items()
    }
    assert remediate_strongswan(files, touched, DEVICE) == ([], [])


def test_file_names_may_be_paths(tmp_path: Path) -> None:
    old, new = render_pair(tmp_path, two_tunnels(), second_removed())
    by_path = {f"sites/hq/{name}": text for name, text in new.items()}
    assert remediate_strongswan(old, by_path, DEVICE) == remediate_strongswan(old, new, DEVICE)


# ---------------------------------------------------------------------------------------------
# a tunnel removed


def test_removed_tunnel_is_closed_and_its_host_state_deleted(tmp_path: Path) -> None:
    old, new = render_pair(tmp_path, two_tunnels(), second_removed())
    script, _ = remediate_strongswan(old, new, DEVICE)
    assert_well_formed(script)
    assert f"# removed {SECOND}" in script
    assert f"# secret removed ike-{SECOND}" in script
    assert not [line for line in script if line.startswith(("# added", "# changed"))]

    # exactly the removed connection is terminated, and nothing is initiated
    assert matching(script, r"^swanctl --terminate") == [
        f"swanctl --terminate --ike {SECOND} --force || true"
    ]
    assert matching(script, r"--initiate") == []
    # exactly its link, and exactly its endpoint's host route (the ECMP route is replaced by
    # network.sh with the remaining next hop, so it is not deleted)
    assert matching(script, r"^ip link del") == ["ip link del xfrm2 2>/dev/null || true"]
    assert matching(script, r"^ip route del") == [
        "ip route del 192.0.2.20/32 via 203.0.113.1 dev eth0 table 181 2>/dev/null || true"
    ]
    assert matching(script, r"^ip (rule|addr) del|^nft ") == []
    assert not [line for line in commands(script) if "xfrm1" in line or FIRST in line]


def test_steps_come_in_a_safe_order(tmp_path: Path) -> None:
    old, new = render_pair(tmp_path, two_tunnels(), second_removed())
    script, _ = remediate_strongswan(old, new, DEVICE)
    order = [
        index(script, rf"^swanctl --terminate --ike {SECOND}"),
        index(script, rf'^install -m 0600 -- "\$\(dirname "\$0"\)/{re.escape(CONF)}" '),
        index(script, r'^mv -f -- "\$\{conf\}.tmp" "\$\{conf\}"$'),
        index(script, r"^swanctl --load-all$"),
        index(script, rf'^bash "\$\(dirname "\$0"\)/{re.escape(NETWORK)}"$'),
        index(script, r"^ip route del 192\.0\.2\.20/32 "),
        index(script, r"^ip link del xfrm2 "),
        index(script, r'^exit "\$\{failed\}"$'),
    ]
    assert order == sorted(order)
    assert f"conf=/etc/swanctl/conf.d/{DEVICE}.conf" in script


def test_rollback_of_a_removal_adds_it_back(tmp_path: Path) -> None:
    old, new = render_pair(tmp_path, two_tunnels(), second_removed())
    script, rollback = remediate_strongswan(old, new, DEVICE)
    assert remediate_strongswan(new, old, DEVICE) == (rollback, script)
    assert_well_formed(rollback)
    assert f"# added {SECOND}" in rollback
    assert matching(rollback, r"^swanctl --(terminate|initiate)") == []
    assert matching(rollback, r" del ") == []  # the old network.sh made nothing the new lacks
    assert "swanctl --load-all" in rollback
    assert f'bash "$(dirname "$0")/{NETWORK}"' in rollback


# ---------------------------------------------------------------------------------------------
# a tunnel changed


def test_changed_tunnel_is_restarted_and_named_with_its_keys(tmp_path: Path) -> None:
    old, new = render_pair(tmp_path, two_tunnels(), second_changed())
    script, rollback = remediate_strongswan(old, new, DEVICE)
    for s in (script, rollback):
        assert_well_formed(s)
        assert f"# changed {SECOND}: proposals, dpd_delay, children.{SECOND}.esp_proposals" in s
        assert not [line for line in s if line.startswith(("# added", "# removed", "# secret"))]
        terminate, initiate = matching(s, r"^swanctl --(terminate|initiate)")
        assert terminate == f"swanctl --terminate --ike {SECOND} || true"
        assert initiate.startswith(f"swanctl --initiate --child {SECOND} --ike {SECOND} ")
        assert index(s, r"^swanctl --load-all") < index(s, r"^swanctl --terminate")
        assert index(s, r"^swanctl --initiate") < index(s, r"^bash ")
        # MTU and MSS come from the new network.sh; nothing is deleted
        assert matching(s, r" del |^nft ") == []


def test_secret_change_restarts_the_tunnel_without_showing_the_psk(tmp_path: Path) -> None:
    psk_a = {FIRST: "FAKE-first-psk-AAAA", SECOND: "FAKE-second-psk-0000"}
    psk_b = {FIRST: "FAKE-first-psk-BBBB", SECOND: "FAKE-second-psk-0000"}
    old = render_device(tmp_path, two_tunnels(), psks=psk_a, reveal_secrets=True)
    new = render_device(tmp_path, two_tunnels(), psks=psk_b, reveal_secrets=True)
    assert psk_a[FIRST].encode().hex() in old[CONF]  # the renders do carry the PSKs
    script, rollback = remediate_strongswan(old, new, DEVICE)
    for s in (script, rollback):
        assert_well_formed(s)
        text = "\n".join(s)
        for psk in (*psk_a.values(), *psk_b.values()):
            assert psk not in text and psk.encode().hex() not in text
        assert f"# secret changed ike-{FIRST}" in s
        assert matching(s, r"^swanctl --terminate") == [
            f"swanctl --terminate --ike {FIRST} || true"
        ]
        assert matching(s, r"^bash ") == []  # network.sh is the same


def test_link_on_another_wan_is_recreated_before_network_sh(tmp_path: Path) -> None:
    """network.sh skips `ip link add` for an existing link: a link whose parameters changed
    is deleted first, so that network.sh creates it anew."""
    inv = base("strongswan", "5.9")  # two WAN links
    old_inv = copy.deepcopy(inv)
    old_inv["sites"][0]["devices"][0]["tunnels"] = [tunnel(FIRST, "cf1")]
    new_inv = copy.deepcopy(inv)
    new_inv["sites"][0]["devices"][0]["tunnels"] = [{**tunnel(FIRST, "cf1"), "wan": "isp-b"}]
    old, new = render_pair(tmp_path, old_inv, new_inv)
    script, _ = remediate_strongswan(old, new, DEVICE)
    assert_well_formed(script)
    assert f"# changed {FIRST}: local_addrs" in script
    recreate = index(script, r"^ip link del xfrm1 2>/dev/null \|\| true  # recreated")
    assert recreate < index(script, r"^bash ")
    assert "ip link add xfrm1 type xfrm dev 'eth1' if_id 1" in new[NETWORK]
    # the old WAN link's table and rule go
    assert "ip rule del from 203.0.113.10 lookup 181 priority 181 2>/dev/null || true" in script


# ---------------------------------------------------------------------------------------------
# whole devices, other scenarios


def test_removed_device_is_torn_down(tmp_path: Path) -> None:
    old = render_device(tmp_path, two_tunnels())
    script, rollback = remediate_strongswan(old, {}, DEVICE)
    assert_well_formed(script)
    assert matching(script, r"^swanctl --terminate") == [
        f"swanctl --terminate --ike {name} --force || true" for name in (FIRST, SECOND)
    ]
    assert index(script, r'^rm -f -- "\$\{conf\}"$') < index(script, r"^swanctl --load-all$")
    assert matching(script, r"^install |^bash ") == []
    assert matching(script, r"^ip link del") == [
        f"ip link del xfrm{n} 2>/dev/null || true" for n in (1, 2)
    ]
    assert matching(script, r"^nft ") == [
        "nft delete table inet netgen_cloudflare 2>/dev/null || true"
    ]
    assert "ip rule del from 203.0.113.10 lookup 181 priority 181 2>/dev/null || true" in script
    # rollback = the device added: install, load, network.sh, nothing deleted or terminated
    assert_well_formed(rollback)
    assert matching(rollback, r" del |--terminate|^rm ") == []
    assert index(rollback, r"^swanctl --load-all$") < index(rollback, r"^bash ")


@pytest.mark.parametrize(
    ("scenario", "deleted"),
    [
        (
            "full-tunnel",
            [
                "ip route del 100.96.0.0/12 metric 1 nexthop via 10.252.0.4 dev xfrm1 weight 1 "
                "nexthop via 10.252.0.6 dev xfrm2 weight 1 nexthop via 10.252.0.8 dev xfrm3 "
                "weight 1 nexthop via 10.252.0.10 dev xfrm4 weight 1",
                "ip route del 0.0.0.0/0 table 180 metric 1 nexthop via 10.252.0.4 dev xfrm1 "
                "weight 1 nexthop via 10.252.0.6 dev xfrm2 weight 1 nexthop via 10.252.0.8 dev "
                "xfrm3 weight 1 nexthop via 10.252.0.10 dev xfrm4 weight 1",
                "ip rule del iif eth2 to 10.10.0.0/16 lookup main priority 179",
                "ip rule del iif eth2 to 0.0.0.0/0 lookup 180 priority 180",
            ],
        ),
        (
            "legacy-hc",
            [f"ip route del default dev xfrm{n} table 720{n}" for n in range(1, 5)]
            + [
                f"ip rule del from 172.64.240.253 fwmark 720{n} lookup 720{n} priority 720{n}"
                for n in range(1, 5)
            ]
            + [f"ip addr del 172.64.240.253/32 dev xfrm{n}" for n in range(1, 5)],
        ),
    ],
)
def test_feature_removed_from_host(tmp_path: Path, scenario: str, deleted: list[str]) -> None:
    """Back from a scenario to the plain dual-ISP device: exactly what the scenario added goes
    (policy routing: table 180 and its rules; legacy health checks: tables, rules, targets)."""
    with_feature = render_scenario(tmp_path, scenario, "strongswan", "5.9")
    plain = render_scenario(tmp_path, "ipsec-dual-isp", "strongswan", "5.9")
    old = {Path(p).name: t for p, t in with_feature.items()}
    new = {Path(p).name: t for p, t in plain.items()}
    script, rollback = remediate_strongswan(old, new, DEVICE)
    assert_well_formed(script)
    removals = script[index(script, r"^# --- remove what only the old") + 1 : -2]
    assert removals == [f"{line} 2>/dev/null || true" for line in deleted]
    assert matching(rollback, r" del ") == []


def test_gre_tunnels_are_deleted_as_links(tmp_path: Path) -> None:
    mixed = render_scenario(tmp_path, "mixed", "strongswan", "5.9")
    script, _ = remediate_strongswan({Path(p).name: t for p, t in mixed.items()}, {}, DEVICE)
    links = [line.split()[3] for line in matching(script, r"^ip link del")]
    assert links == ["xfrm1", "xfrm2", "cfgre3", "cfgre4"]


# ---------------------------------------------------------------------------------------------
# parsing and quoting


HOSTILE_NETWORK = """\
#!/usr/bin/env bash
ip link add 'x;reboot' type dummy
ip addr replace 192.0.2.77/32 dev 'x;reboot'
ip route replace 198.51.100.0/24 dev 'a b$(id)' table 200
ip route replace 203.0.113.0/24 dev 'we"ird' metric 5
ip rule add iif 'l`an' lookup 200 priority 200
ip link set dev 'x;reboot' up
not a command (
if ! ip link show dev xfrm9 >/dev/null 2>&1; then
    ip link add xfrm9 type xfrm dev 'eth0' if_id 9
fi
cat <<'EOF'
ip link add fromheredoc type dummy
EOF
cat <<< 'a here-string, not a heredoc'
ip link add herestring type dummy
nft -f - <<'NFT'
table inet other_table {
}
NFT
"""

HOSTILE_CONF = """\
connections {
    conn;x {  # a comment
        proposals = "aes#not-a-comment"
        children {
            child$(id) {
                esp_proposals = aes256gcm16-ecp384
            }
        }
    }
}
secrets {
    ike-conn;x {
        secret = "FAKE-do-not-print"
    }
}
garbage line without meaning
"""


def test_words_from_the_files_are_quoted() -> None:
    old = {CONF: HOSTILE_CONF, NETWORK: HOSTILE_NETWORK}
    changed_conf = HOSTILE_CONF.replace("aes256gcm16-ecp384", "aes256-sha256-ecp384")
    changed_conf = changed_conf.replace("FAKE-do-not-print", "FAKE-other")
    new = {CONF: changed_conf, NETWORK: "#!/usr/bin/env bash\n"}
    script, _ = remediate_strongswan(old, new, DEVICE)
    assert_bash_syntax(script)
    assert "FAKE-do-not-print" not in "\n".join(script) and "FAKE-other" not in "\n".join(script)
    assert "# changed 'conn;x': 'children.child$(id).esp_proposals'" in script
    assert "# secret changed 'ike-conn;x'" in script
    initiate = matching(script, r"^swanctl --initiate")[0]
    assert shlex.split(initiate)[:6] == [
        "swanctl",
        "--initiate",
        "--child",
        "child$(id)",
        "--ike",
        "conn;x",
    ]
    removals = script[index(script, r"^# --- remove what only the old") + 1 : -2]
    assert [shlex.split(line)[:-3] for line in removals] == [
        ["ip", "route", "del", "198.51.100.0/24", "dev", "a b$(id)", "table", "200"],
        ["ip", "route", "del", "203.0.113.0/24", "dev", 'we"ird', "metric", "5"],
        ["ip", "rule", "del", "iif", "l`an", "lookup", "200", "priority", "200"],
        ["ip", "link", "del", "x;reboot"],
        ["ip", "link", "del", "xfrm9"],
        ["ip", "link", "del", "herestring"],
        ["nft", "delete", "table", "inet", "other_table"],
    ]
    assert all(shlex.split(line)[-3:] == ["2>/dev/null", "||", "true"] for line in removals)


def test_output_is_deterministic(tmp_path: Path) -> None:
    old, new = render_pair(tmp_path, two_tunnels(), second_changed())
    first = remediate_strongswan(old, new, DEVICE)
    reordered_old = dict(reversed(list(old.items())))
    assert remediate_strongswan(reordered_old, new, DEVICE) == first
    assert remediate_strongswan(copy.deepcopy(old), copy.deepcopy(new), DEVICE) == first


def test_unsafe_device_name_is_refused() -> None:
    with pytest.raises(ValueError, match="device name"):
        remediate_strongswan({}, {"x": "y"}, "a b")
