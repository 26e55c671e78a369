"""netgen.core.git.exposure against real repositories made with `git init` in tmp_path."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path, PurePosixPath

import pytest

from netgen.core.git import exposure, gitignore_pattern
from tests.editor.conftest import Git

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")


def make_repo(git: Git, path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    return path


def ignore(repo: Path, line: str) -> None:
    gi = repo / ".gitignore"
    gi.write_text((gi.read_text() if gi.exists() else "") + line + "\n")


def test_outside_a_repository_is_none(tmp_path: Path, git: Git) -> None:
    (tmp_path / "plain").mkdir()
    assert exposure(tmp_path / "plain" / "out") is None
    assert exposure(tmp_path / "plain") is None


def test_ignored_directory_is_none(tmp_path: Path, git: Git) -> None:
    repo = make_repo(git, tmp_path / "repo")
    ignore(repo, "out/")
    (repo / "out").mkdir()
    assert exposure(repo / "out") is None
    assert exposure(repo / "out" / "not-yet" / "deeper") is None  # need not exist
    ignore(repo, "/packets")
    assert exposure(repo / "packets") is None


def test_untracked_not_ignored_directory_is_exposed(tmp_path: Path, git: Git) -> None:
    repo = make_repo(git, tmp_path / "repo")
    found = exposure(repo / "out")  # does not exist yet
    assert found is not None
    assert found.gitignore_line == "out/"
    assert found.repo_root == repo.resolve()
    assert found.gitignore == repo.resolve() / ".gitignore"
    assert found.tracked == ()
    assert found.directory == repo / "out"
    assert "not ignored" in found.message and "out/" in found.hint
    ignore(repo, found.gitignore_line)
    assert exposure(repo / "out") is None


def test_nested_directory_gets_its_path_from_the_root(tmp_path: Path, git: Git) -> None:
    repo = make_repo(git, tmp_path / "repo")
    (repo / "plans" / "wan").mkdir(parents=True)
    found = exposure(repo / "plans" / "wan" / "out")
    assert found is not None and found.gitignore_line == "plans/wan/out/"
    ignore(repo, found.gitignore_line)
    assert exposure(repo / "plans" / "wan" / "out") is None
    assert exposure(repo / "plans" / "out") is not None  # the line is anchored


def test_relative_directory_is_resolved(
    tmp_path: Path, git: Git, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(git, tmp_path / "repo")
    monkeypatch.chdir(repo)
    found = exposure(Path("out"))
    assert found is not None and found.gitignore_line == "out/"
    assert found.directory == Path("out")


def test_a_nested_gitignore_counts(tmp_path: Path, git: Git) -> None:
    repo = make_repo(git, tmp_path / "repo")
    (repo / "wan").mkdir()
    ignore(repo / "wan", "out/")
    assert exposure(repo / "wan" / "out") is None


def test_tracked_file_inside_is_exposed_even_when_ignored(tmp_path: Path, git: Git) -> None:
    repo = make_repo(git, tmp_path / "repo")
    (repo / "out").mkdir()
    (repo / "out" / "r1.cfg").write_text("config\n")
    git(repo, "add", "out/r1.cfg")
    git(repo, "commit", "-q", "-m", "oops")
    found = exposure(repo / "out")
    assert found is not None
    assert found.tracked == ("out/r1.cfg",)
    assert found.gitignore_line == "out/"
    assert "tracked" in found.message and "git rm -r --cached" in found.hint
    ignore(repo, "out/")
    still = exposure(repo / "out")
    assert still is not None and still.tracked == ("out/r1.cfg",)
    git(repo, "rm", "-q", "-r", "--cached", "out")
    assert exposure(repo / "out") is None


def test_staged_file_counts_as_tracked(tmp_path: Path, git: Git) -> None:
    repo = make_repo(git, tmp_path / "repo")
    (repo / "out").mkdir()
    (repo / "out" / "a.conf").write_text("x\n")
    git(repo, "add", "out")
    found = exposure(repo / "out")
    assert found is not None and found.tracked == ("out/a.conf",)


@pytest.mark.parametrize("name", ["my out", "#1", "!x", "out[1]", "a*b", "trailing "])
def test_special_names_get_a_line_that_works(tmp_path: Path, git: Git, name: str) -> None:
    repo = make_repo(git, tmp_path / "repo")
    found = exposure(repo / name)
    assert found is not None and found.gitignore_line is not None
    ignore(repo, found.gitignore_line)
    assert exposure(repo / name) is None
    assert exposure(repo / "other") is not None  # the escaped line matches only its directory


def test_gitignore_pattern_escapes() -> None:
    assert gitignore_pattern(PurePosixPath("out")) == "out/"
    assert gitignore_pattern(PurePosixPath("a/b")) == "a/b/"
    assert gitignore_pattern(PurePosixPath("#x")) == "\\#x/"
    assert gitignore_pattern(PurePosixPath("x*[y]?")) == "x\\*\\[y]\\?/"


def test_repository_root_itself(tmp_path: Path, git: Git) -> None:
    repo = make_repo(git, tmp_path / "repo")
    found = exposure(repo)
    assert found is not None and found.gitignore_line is None
    assert "subdirectory" in found.hint
    ignore(repo, "*")
    assert exposure(repo) is None


def test_inside_the_git_directory_is_none(tmp_path: Path, git: Git) -> None:
    repo = make_repo(git, tmp_path / "repo")
    assert exposure(repo / ".git" / "out") is None


def test_nested_repository_answers_for_itself(tmp_path: Path, git: Git) -> None:
    outer = make_repo(git, tmp_path / "outer")
    ignore(outer, "inner/")
    inner = make_repo(git, outer / "inner")
    found = exposure(inner / "out")
    assert found is not None and found.repo_root == inner.resolve()


def test_git_dir_in_the_environment_does_not_redirect(
    tmp_path: Path, git: Git, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(git, tmp_path / "repo")
    other = make_repo(git, tmp_path / "other")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    found = exposure(repo / "out")
    assert found is not None and found.repo_root == repo.resolve()


def test_no_git_binary_is_none(tmp_path: Path, git: Git, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(git, tmp_path / "repo")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert exposure(repo / "out") is None


@pytest.mark.parametrize("script", ["exit 128", "echo garbage; exit 1", "kill -9 $$"])
def test_failing_git_is_none_never_an_exception(
    tmp_path: Path, git: Git, monkeypatch: pytest.MonkeyPatch, script: str
) -> None:
    repo = make_repo(git, tmp_path / "repo")
    fake = tmp_path / "fake-git"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake))
    assert exposure(repo / "out") is None


def test_unexecutable_git_is_none(
    tmp_path: Path, git: Git, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(git, tmp_path / "repo")
    monkeypatch.setattr(shutil, "which", lambda name: str(tmp_path / "missing-git"))
    assert exposure(repo / "out") is None
