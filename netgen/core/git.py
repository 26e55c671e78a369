"""Would files written into a directory end up in git? Asked before writing revealed PSKs.

Only ``git`` itself knows the answer (nested .gitignore files, ``core.excludesFile``,
``info/exclude``, negations), so this asks it: ``rev-parse`` for the work tree, ``ls-files``
for tracked files inside the directory, ``check-ignore`` for a file that would be new there.
Every failure (no git binary, not a repository, a bare or unsafe repository, a timeout) means
"no answer", never an exception: this is a safety net, not a requirement to have git.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

GIT_TIMEOUT: Final = 10.0
# a name no pattern should single out: when it is ignored inside the directory, so is the rest
PROBE_NAME: Final = "netgen-probe"
# These point git at another repository than the directory's own; the question is about the
# directory, so they are dropped (GIT_CEILING_DIRECTORIES and config variables stay).
_REPO_ENV: Final = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX")
_SHOWN_TRACKED: Final = 3


@dataclass(frozen=True)
class GitExposure:
    """``directory`` is inside a git work tree and git would pick up what is written there."""

    directory: Path  # as given
    repo_root: Path
    tracked: tuple[str, ...]  # files already tracked inside, relative to repo_root (POSIX)
    gitignore_line: str | None  # the line for repo_root/.gitignore; None: the root itself
    message: str
    hint: str

    @property
    def gitignore(self) -> Path:
        """The .gitignore that :attr:`gitignore_line` belongs in."""
        return self.repo_root / ".gitignore"


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes] | None:
    exe = shutil.which("git")
    if exe is None:
        return None
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    env["GIT_OPTIONAL_LOCKS"] = "0"  # never take the index lock for a read-only question
    env["LC_ALL"] = "C"
    try:
        return subprocess.run(
            [exe, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def git_output(directory: Path, *args: str) -> bytes | None:
    """What ``git ARGS`` prints in ``directory``, or None when git is missing, fails or times
    out (the same isolated environment as every question this module asks git)."""
    run = _git(list(args), directory)
    return run.stdout if run is not None and run.returncode == 0 else None


def _existing_dir(path: Path) -> Path | None:
    """``path`` or its nearest ancestor that exists as a directory (git needs a cwd)."""
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return None


def gitignore_pattern(rel: PurePosixPath) -> str:
    """The .gitignore line that ignores directory ``rel`` (relative to that .gitignore),
    with the characters .gitignore treats specially escaped."""
    out = []
    for part in rel.parts:
        escaped = "".join("\\" + c if c in "\\*?[" else c for c in part)
        out.append(escaped)
    line = "/".join(out)
    if line.startswith(("#", "!")):
        line = "\\" + line
    if line.endswith(" "):
        line = line[:-1] + "\\ "
    return line + "/"


def _repo_root(start: Path) -> Path | None:
    top = _git(["rev-parse", "--show-toplevel"], start)
    if top is None or top.returncode != 0:
        return None  # not a repository, a bare one, inside .git, or git refused (safe.directory)
    text = os.fsdecode(top.stdout).rstrip("\n")
    return Path(text).resolve() if text else None


def _tracked(root: Path, rel: str) -> tuple[str, ...] | None:
    listed = _git(["--literal-pathspecs", "ls-files", "-z", "--full-name", "--", rel], root)
    if listed is None or listed.returncode != 0:
        return None
    return tuple(sorted(os.fsdecode(p) for p in listed.stdout.split(b"\0") if p))


def _ignored(root: Path, probe: str) -> bool | None:
    checked = _git(["check-ignore", "-q", "--", probe], root)
    if checked is None or checked.returncode not in (0, 1):
        return None
    return checked.returncode == 0


def exposure(directory: Path) -> GitExposure | None:
    """Whether files written into ``directory`` (which need not exist yet) could be committed:
    it is inside a git work tree, and git tracks files in it or does not ignore a new file there.

    Returns:
        ``None`` when they could not (ignored, or not in a work tree), or when git cannot tell
        (no git binary, a failing git); else what to say and the .gitignore line that fixes it.
    """
    try:
        target = directory.resolve()
    except (OSError, RuntimeError):
        return None
    start = _existing_dir(target)
    root = _repo_root(start) if start is not None else None
    if root is None:
        return None
    try:
        rel = PurePosixPath(target.relative_to(root).as_posix())
    except ValueError:
        return None
    if rel.parts and rel.parts[0] == ".git":
        return None
    if not rel.parts:
        ignored_here = _ignored(root, PROBE_NAME)
        return None if ignored_here in (True, None) else _root_exposure(directory, root)
    tracked = _tracked(root, str(rel))
    ignored = _ignored(root, str(rel / PROBE_NAME))
    if tracked is None or ignored is None:
        return None
    if ignored and not tracked:
        return None
    line = gitignore_pattern(rel)
    if tracked:
        more = ", ..." if len(tracked) > _SHOWN_TRACKED else ""
        shown = ", ".join(tracked[:_SHOWN_TRACKED]) + more
        message = (
            f"{directory} holds {len(tracked)} file(s) tracked by git ({shown}): files with "
            "revealed PSKs written there could be committed"
        )
        untrack = f"in {root}: `git rm -r --cached -- '{rel}'`"
        hint = f"{untrack}, then add `{line}` to {root / '.gitignore'}"
        if ignored:
            hint = f"{untrack} (it is ignored, but tracked files stay tracked)"
    else:
        message = (
            f"{directory} is inside the git work tree {root} and not ignored: files with "
            "revealed PSKs written there could be committed"
        )
        hint = f"add `{line}` to {root / '.gitignore'}"
    return GitExposure(directory, root, tracked, line, message, hint)


def _root_exposure(directory: Path, root: Path) -> GitExposure:
    return GitExposure(
        directory,
        root,
        (),
        None,
        f"{directory} is the top of the git work tree {root}: files with revealed PSKs "
        "written there could be committed",
        "write into a subdirectory such as out/ and add `out/` to the .gitignore",
    )
