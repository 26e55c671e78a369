"""`netgen diff --from REV` and handoff's revision line on an inventory directory in git."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netgen import api
from netgen.api.handoff_packets import _meta
from netgen.api.revision import checkout
from netgen.core.errors import UserError
from netgen.inventory.directory import load_inventory_dir
from tests.inventory_dir.conftest import MAIN, site_text, write_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree holding the directory inventory wan/ with its lock, committed."""
    repo = tmp_path / "repo"
    inv = write_tree(
        repo / "wan",
        MAIN,
        {
            "a.yaml": site_text("alpha", "10.1.0.0/16", "203.0.113.10"),
            "b.yaml": site_text("bravo", "10.2.0.0/16", "203.0.113.20"),
        },
    )
    api.plan(inv, write_lock=True)
    _git(repo, "init", "-q")
    _commit(repo, "two sites")
    return repo


def test_no_change_is_no_change(repo: Path) -> None:
    result = api.diff_revisions(repo / "wan")
    assert not result.changed and result.devices == []


def test_a_change_in_one_site_file(repo: Path) -> None:
    site = repo / "wan" / "sites" / "b.yaml"
    site.write_text(site.read_text() + "defaults: {mtu: 1400}\n")
    result = api.diff_revisions(repo / "wan")
    changed = {c["name"]: c["fields"] for c in result.tunnels["changed"]}
    assert set(changed) == {"bravo_1a_cf1", "bravo_1a_cf2"}
    assert changed["bravo_1a_cf1"]["mtu"] == [1450, 1400]
    assert [d["device"] for d in result.devices] == ["bravo-r1"]


def test_site_files_added_and_removed_between_revisions(repo: Path) -> None:
    sites = repo / "wan" / "sites"
    (sites / "c.yml").write_text(site_text("charlie", "10.3.0.0/16", "203.0.113.30"))
    (sites / "a.yaml").unlink()
    (sites / "notes.txt").write_text("not a site\n")
    result = api.diff_revisions(repo / "wan")
    assert result.tunnels["added"] == ["charlie_1a_cf1", "charlie_1a_cf2"]
    assert result.tunnels["removed"] == ["alpha_1a_cf1", "alpha_1a_cf2"]
    _commit(repo, "alpha closed, charlie opened")
    between = api.diff_revisions(repo / "wan", "HEAD~1", "HEAD")
    assert (between.tunnels["added"], between.tunnels["removed"]) == (
        result.tunnels["added"],
        result.tunnels["removed"],
    )
    # the removed tunnels' Cloudflare side comes from the lock at HEAD~1
    deleted = between.cloudflare["delete"]["ipsec_tunnels"]
    assert [d["name"] for d in deleted] == ["alpha_1a_cf1", "alpha_1a_cf2"]


def test_many_site_files_are_read_back_exactly(repo: Path) -> None:
    sites = repo / "wan" / "sites"
    for n in range(3, 40):
        (sites / f"s{n:02d}.yaml").write_text(
            site_text(f"s{n:02d}", f"10.{n}.0.0/16", f"203.0.113.{n}") + f"# site {n}\n" * n
        )
    (repo / "wan" / "netgen.yaml").write_text(MAIN.replace("/24", "/22"))
    _commit(repo, "many sites")
    for name in ("s05.yaml", "s17.yaml"):
        path = sites / name
        path.write_text(path.read_text().replace("# site", "# site!"))
    result = api.diff_revisions(repo / "wan")
    assert not result.changed  # comments only: the checked-out revision loads the same
    # what diff reads at HEAD is the committed bytes of each file
    found = checkout(repo, "wan", "HEAD", repo.parent / "scratch")
    assert found.inventory.name == "inventory" and (found.inventory / "netgen.lock.yaml").is_file()
    for name in ("a.yaml", "s05.yaml", "s39.yaml"):
        committed = _git(repo, "show", f"HEAD:wan/sites/{name}")
        assert (found.inventory / "sites" / name).read_text() == committed
    assert len(load_inventory_dir(found.inventory).data["sites"]) == 39


def test_inventory_directory_at_the_top_of_the_repository(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path / "wan",
        MAIN,
        {"a.yaml": site_text("alpha", "10.1.0.0/16", "203.0.113.10")},
    )
    api.plan(repo, write_lock=True)
    _git(repo, "init", "-q")
    _commit(repo, "one site")
    (repo / "sites" / "b.yaml").write_text(site_text("bravo", "10.2.0.0/16", "203.0.113.20"))
    result = api.diff_revisions(repo)
    assert result.tunnels["added"] == ["bravo_1a_cf1", "bravo_1a_cf2"]


def test_errors_at_a_revision(repo: Path) -> None:
    (repo / "wan" / "netgen.yaml").rename(repo / "wan" / "main.yaml")
    _commit(repo, "broken")
    with pytest.raises(UserError) as info:
        api.diff_revisions(repo / "wan", "HEAD")
    (d,) = info.value.diagnostics
    assert d.code == "NG803" and "no netgen.yaml at revision 'HEAD'" in d.message
    for rev in ("no-such-revision", "--output=x"):
        with pytest.raises(UserError) as info:
            api.diff_revisions(repo / "wan", rev)
        assert info.value.diagnostics[0].code == "NG803"
    assert not (repo / "x").exists()


def test_cli_diff_on_a_directory(repo: Path) -> None:
    (repo / "wan" / "sites" / "b.yaml").unlink()
    out = subprocess.run(
        [sys.executable, "-m", "netgen", "diff", str(repo / "wan"), "--exit-code", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 3, out.stderr
    assert json.loads(out.stdout)["tunnels"]["removed"] == ["bravo_1a_cf1", "bravo_1a_cf2"]


def test_handoff_revision_covers_every_file_of_the_directory(repo: Path) -> None:
    inv = repo / "wan"
    digest = load_inventory_dir(inv).digest
    head = _git(repo, "rev-parse", "--short=12", "HEAD").strip()
    assert _meta(inv, digest).revision == f"git {head}"
    (repo / "README.md").write_text("outside the inventory\n")
    (inv / "out").mkdir()
    (inv / "out" / "x.conf").write_text("rendered output is not the inventory\n")
    assert _meta(inv, digest).revision == f"git {head}"
    site = inv / "sites" / "b.yaml"
    site.write_text(site.read_text() + "# edited\n")
    assert _meta(inv, digest).revision == f"git {head} + uncommitted changes"
    _git(repo, "checkout", "-q", "--", "wan/sites/b.yaml")
    (inv / "sites" / "c.yaml").write_text(site_text("charlie", "10.3.0.0/16", "203.0.113.30"))
    assert _meta(inv, digest).revision == f"git {head} + uncommitted changes"


def test_handoff_page_names_the_directory_digest(repo: Path, tmp_path: Path) -> None:
    inv = repo / "wan"
    result = api.handoff(inv, tmp_path / "packets", sites=["alpha"])
    page = (tmp_path / "packets" / "alpha" / "index.html").read_text()
    assert result.sites == ["alpha"]
    assert load_inventory_dir(inv).digest in page
