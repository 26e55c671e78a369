"""`netgen init` files: the starter's schema modeline, netgen.schema.json, and a .gitignore
that is created, or appended to without touching the user's lines."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from netgen import api
from netgen.api.editor import init_project, schema_text
from netgen.core.errors import UserError
from netgen.core.git import exposure
from netgen.render.starter import (
    GITIGNORE_HEADER,
    gitignore_patterns,
    gitignore_text,
    merge_gitignore,
    starter_text,
    write_editor_files,
    write_starter,
)
from tests.editor.conftest import Git

MODELINE = "# yaml-language-server: $schema=./netgen.schema.json"
NEEDED = [
    "netgen.secrets.yaml",
    "responses/psk_generate_*.json",
    "out/",
    "packets/",
    "tickets/",
]


def test_starter_starts_with_the_schema_modeline() -> None:
    first, second = starter_text().splitlines()[:2]
    assert first == MODELINE
    assert "schema v1" in second
    assert "netgen.schema.json" in starter_text().split("netgen: 1")[0]


def test_gitignore_template_lists_the_secret_and_output_paths() -> None:
    assert gitignore_patterns(gitignore_text()) == NEEDED


def test_init_in_an_empty_directory(tmp_path: Path) -> None:
    result = init_project(tmp_path)
    assert result.inventory == tmp_path / "inventory.yaml"
    assert result.inventory.read_text() == starter_text()
    assert result.schema == tmp_path / "netgen.schema.json"
    assert result.schema.read_text() == schema_text()
    assert result.gitignore == tmp_path / ".gitignore"
    assert result.gitignore.read_text() == gitignore_text()
    assert result.gitignore_created and result.gitignore_added == tuple(NEEDED)
    assert result.written == [result.inventory, result.schema, result.gitignore]
    assert api.validate(result.inventory).devices == 1


def test_init_refuses_an_existing_inventory_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "inventory.yaml").write_text("mine\n")
    with pytest.raises(UserError) as caught:
        init_project(tmp_path)
    assert caught.value.diagnostics[0].code == "NG901"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.yaml"]
    assert (tmp_path / "inventory.yaml").read_text() == "mine\n"


def test_init_force_overwrites_the_inventory_and_keeps_the_gitignore(tmp_path: Path) -> None:
    init_project(tmp_path)
    (tmp_path / "netgen.schema.json").write_text("{}\n")  # an older netgen's schema
    again = init_project(tmp_path, force=True)
    assert not again.gitignore_created and again.gitignore_added == ()
    assert again.written == [again.inventory, again.schema]
    assert again.schema.read_text() == schema_text()
    assert again.gitignore.read_text() == gitignore_text()


def test_write_starter_still_writes_only_the_inventory(tmp_path: Path) -> None:
    assert write_starter(tmp_path) == tmp_path / "inventory.yaml"
    assert [p.name for p in tmp_path.iterdir()] == ["inventory.yaml"]


def test_existing_gitignore_gets_only_the_missing_lines(tmp_path: Path) -> None:
    mine = "# mine\n*.pyc\n/out\nnetgen.secrets.yaml   \n!keep.txt"  # no final newline
    gi = tmp_path / ".gitignore"
    gi.write_text(mine)
    gi.chmod(0o600)
    files = write_editor_files(tmp_path)
    assert not files.gitignore_created
    assert files.gitignore_added == ("responses/psk_generate_*.json", "packets/", "tickets/")
    text = gi.read_text()
    assert text == (
        mine + "\n\n" + GITIGNORE_HEADER + "\nresponses/psk_generate_*.json\npackets/\ntickets/\n"
    )
    assert gi.stat().st_mode & 0o777 == 0o600
    again = write_editor_files(tmp_path)
    assert again.gitignore_added == () and gi.read_text() == text


def test_merge_keeps_crlf_and_bytes() -> None:
    merged, added = merge_gitignore("a\r\nout/\r\n", gitignore_text())
    assert merged.startswith("a\r\nout/\r\n\r\n# added by netgen init")
    assert "\n" not in merged.replace("\r\n", "")
    assert "out/" not in added
    weird = "caf\udce9\n"  # a Latin-1 byte, decoded with surrogateescape
    merged, _ = merge_gitignore(weird, gitignore_text())
    assert merged.startswith(weird)


def test_merge_of_an_empty_file_has_no_leading_blank_line() -> None:
    merged, added = merge_gitignore("", gitignore_text())
    assert merged.startswith(GITIGNORE_HEADER) and added == tuple(NEEDED)


def test_gitignore_symlink_is_followed(tmp_path: Path) -> None:
    real = tmp_path / "shared.gitignore"
    real.write_text("out/\n")
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / ".gitignore").symlink_to(real)
    files = write_editor_files(tmp_path / "plan")
    assert (tmp_path / "plan" / ".gitignore").is_symlink()
    assert "packets/" in real.read_text() and "out/" not in files.gitignore_added


def test_unwritable_gitignore_is_ng901(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").mkdir()
    with pytest.raises(UserError) as caught:
        write_editor_files(tmp_path)
    assert caught.value.diagnostics[0].code == "NG901"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")
def test_git_honours_the_written_gitignore(tmp_path: Path, git: Git) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    init_project(repo)
    probe = [
        "netgen.secrets.yaml",
        "responses/psk_generate_nyc01_1a_cf1.json",
        "out/sites/nyc01/r1.ios",
        "packets/nyc01/secrets.txt",
        "tickets/r1.diff",
        "inventory.yaml",
        "netgen.lock.yaml",
        "netgen.schema.json",
        "responses/ipsec_tunnels.json",
        ".gitignore",
    ]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *probe],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.splitlines() == probe[:5]
    assert exposure(repo / "out") is None
    assert exposure(repo / "packets") is None
