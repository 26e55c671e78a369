"""`netgen handoff` packets: content for a multi-vendor, multi-WAN example, no PSK anywhere
but secrets.txt, no external resource, autoescaping, rollback sources, determinism, errors."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from netgen import api
from netgen.core.errors import UserError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme"


def _psks() -> list[str]:
    found = []
    for path in (EXAMPLE / "responses").glob("*.json"):
        found += re.findall(r'"psk":\s*"([^"]+)"', path.read_text())
    assert found, "the example's responses carry PSKs"
    return found


def _forms(psk: str) -> list[str]:
    return [psk, base64.b64encode(psk.encode()).decode(), psk.encode().hex()]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("handoff") / "acme"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("out", "packets"))
    api.import_responses(
        work / "inventory.yaml",
        [(p.name, p.read_bytes()) for p in sorted((work / "responses").glob("*.json"))],
    )
    return work / "inventory.yaml"


@pytest.fixture(scope="module")
def packets(example: Path) -> Path:
    out = example.parent / "packets"
    os.environ["SOURCE_DATE_EPOCH"] = "1796000000"
    try:
        api.handoff(example, out, include_secrets=True)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return out


def _plan(example: Path) -> list[dict[str, object]]:
    session = api.open_session(example)
    plans = api.device_plans(api.plan_inputs(session, allow_placeholders=True))
    return [
        {
            "site": p.site_name,
            "device": p.device,
            "wan": [(w.name, w.interface, w.address) for w in p.wan_links],
            "tunnels": [(t.name, t.cloudflare_address, t.customer_address) for t in p.tunnels],
        }
        for p in plans
    ]


def test_every_device_link_and_tunnel_is_on_its_site_page(example: Path, packets: Path) -> None:
    inventory = yaml.safe_load(example.read_text())
    for device in _plan(example):
        page = (packets / str(device["site"]) / "index.html").read_text()
        assert str(device["device"]) in page
        for name, interface, address in device["wan"]:  # type: ignore[attr-defined]
            assert name in page and interface in page and address in page
        for name, cf, customer in device["tunnels"]:  # type: ignore[attr-defined]
            assert page.count(f'data-tunnel="{name}"') == 1  # one diagram edge each
            assert name in page and cf in page and customer in page
    for site in inventory["sites"]:
        page = (packets / site["name"] / "index.html").read_text()
        assert site["address"] in page and site["contact"] in page


def test_multi_wan_site_has_a_link_box_per_wan_and_per_device_sections(packets: Path) -> None:
    page = (packets / "nyc01" / "index.html").read_text()
    assert "WAN isp-a" in page and "WAN isp-b" in page
    for heading in ("1. Pre-checks", "2. Configuration, in paste order", "3. Verification"):
        assert heading in page
    assert "4. Rollback" in page and "no interface Tunnel100" in page
    assert page.count('<button type="button" class="copy"') == page.count("<pre ")


def test_no_psk_outside_secrets_txt_and_secrets_txt_is_private(packets: Path) -> None:
    psks = _psks()
    for path in packets.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes().decode(errors="replace")
        if path.name == "secrets.txt":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            continue
        for psk in psks:
            for form in _forms(psk):
                assert form not in data, path
    secrets = (packets / "nyc01" / "secrets.txt").read_text()
    assert any(psk in secrets for psk in psks)
    assert "&lt;redacted:psk:nyc01_1a_cf1&gt;" in (packets / "nyc01" / "index.html").read_text()


def test_the_page_requests_nothing_from_outside(packets: Path) -> None:
    for page in packets.glob("*/index.html"):
        html = page.read_text()
        assert "<link" not in html and "@import" not in html
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", html)


def test_checksums_match_the_configs(packets: Path) -> None:
    sums = (packets / "nyc01" / "configs" / "SHA256SUMS").read_text()
    run = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=packets / "nyc01" / "configs", capture_output=True
    )
    assert run.returncode == 0, run.stdout
    digest = sums.split()[0]
    assert digest in (packets / "nyc01" / "index.html").read_text()


def test_hostile_strings_are_text(tmp_path: Path, example: Path) -> None:
    work = tmp_path / "acme"
    shutil.copytree(example.parent, work, ignore=shutil.ignore_patterns("packets"))
    inv = yaml.safe_load((work / "inventory.yaml").read_text())
    inv["sites"][0]["description"] = "<script>alert(1)</script> & co"
    inv["sites"][0]["contact"] = '"><img src=x onerror=alert(1)>'
    (work / "inventory.yaml").write_text(yaml.safe_dump(inv, sort_keys=False))
    api.handoff(work / "inventory.yaml", work / "packets", sites=["nyc01"])
    page = (work / "packets" / "nyc01" / "index.html").read_text()
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert page.count("<script>") == 1  # the page's own copy-button script only


def test_output_is_deterministic_and_refuses_foreign_directories(
    tmp_path: Path, example: Path, packets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796000000")
    again = tmp_path / "again"
    api.handoff(example, again, include_secrets=True)
    for path in packets.rglob("*"):
        if path.is_file():
            assert (again / path.relative_to(packets)).read_bytes() == path.read_bytes()
    api.handoff(example, again, sites=["nyc01"])  # rewriting its own packet is fine
    foreign = tmp_path / "foreign"
    (foreign / "nyc01").mkdir(parents=True)
    (foreign / "nyc01" / "notes.txt").write_text("mine")
    with pytest.raises(UserError) as err:
        api.handoff(example, foreign, sites=["nyc01"])
    assert err.value.diagnostics[0].code == "NG820"
    assert (foreign / "nyc01" / "notes.txt").read_text() == "mine"
    with pytest.raises(UserError) as err:
        api.handoff(example, foreign, sites=["nope"])
    assert err.value.diagnostics[0].code == "NG821"


def test_rollback_from_a_revision_is_the_diff_rollback(tmp_path: Path, example: Path) -> None:
    work = tmp_path / "repo"
    shutil.copytree(example.parent, work, ignore=shutil.ignore_patterns("packets"))
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    inv = yaml.safe_load((work / "inventory.yaml").read_text())
    inv["sites"] = [s for s in inv["sites"] if s["name"] != "fra01"]
    (work / "inventory.yaml").write_text(yaml.safe_dump(inv, sort_keys=False))
    result = api.handoff(work / "inventory.yaml", work / "packets", from_rev="HEAD")
    page = (work / "packets" / "nyc01" / "index.html").read_text()
    assert "Back to inventory revision HEAD" in page
    assert "ip route 10.40.0.0 255.255.0.0 Tunnel100 10.252.0.12" in page  # restores fra01
    assert "uncommitted changes" in page
    assert json.dumps(result.to_json())
