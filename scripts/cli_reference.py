"""Write docs/reference/cli.md from the Typer app, so the CLI reference never drifts.

    python scripts/cli_reference.py                # rewrite docs/reference/cli.md
    python scripts/cli_reference.py -o -           # print it
    python scripts/cli_reference.py --check        # exit 1 if the committed page is stale

`make docs` runs it before building the site; tests/docs/test_docs_site.py fails when the
committed page differs from a fresh generation (a new option, command or help text).

The page is built from the command objects' plain attributes (names, options, metavars,
defaults, help texts), not from the rendered `--help` screens: those depend on the terminal
width and on Typer's rich formatting, and would make the page change with the machine.
"""

from __future__ import annotations

import argparse
import enum
import html
import inspect
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import typer
from typer.main import get_command

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "docs" / "reference" / "cli.md"

# Typer >= 0.2x builds its commands on a vendored copy of click, older Typer on click itself;
# both have the same shape (name, help, params, list_commands, get_command), which is all
# this script uses. The command and parameter objects are therefore typed as Any.
Command = Any
Param = Any

_MD_SPECIAL = re.compile(r"([\\*_\[\]|#])")
_CODE_SPAN = re.compile(r"(`[^`]*`)")


def md_text(text: str) -> str:
    """Text as literal Markdown, also inside a table cell: special characters escaped
    (< > & as entities, which Python-Markdown and GitHub both read), `code spans` kept."""
    out = []
    for i, part in enumerate(_CODE_SPAN.split(text)):
        if i % 2:  # a code span: literal already
            out.append(code(part[1:-1]))
        else:
            part = html.escape(part, quote=False)
            out.append(_MD_SPECIAL.sub(r"\\\1", part))
    return "".join(out)


def code(text: str) -> str:
    """`text` as a code span that is safe in a table cell. A pipe splits a cell in GitHub's
    tables even inside a code span, and a backslash before it stays visible in
    Python-Markdown's: such a span is written as HTML with the pipe as an entity."""
    if "|" in text or "`" in text:
        return "<code>" + html.escape(text, quote=False).replace("|", "&#124;") + "</code>"
    return f"`{text}`"


def paragraphs(help_text: str | None) -> list[str]:
    """A command's help as paragraphs (lines of a paragraph joined; click's \\f cut)."""
    if not help_text:
        return []
    text = inspect.cleandoc(help_text).split("\f", 1)[0]
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def anchor(path: Sequence[str]) -> str:
    """The anchor MkDocs gives the heading `path` (lower case, spaces to hyphens)."""
    return "-".join(path).lower()


def param_label(param: Param) -> str:
    """How the parameter is written on the command line."""
    if param.param_type_name == "argument":
        name = str(param.metavar or param.name.upper())
        if param.nargs == -1 and not name.endswith("..."):
            name += "..."
        return name
    opts = ", ".join(param.opts)
    if param.secondary_opts:
        opts += " / " + ", ".join(param.secondary_opts)
    if param.is_flag:
        return opts
    return f"{opts} {value_placeholder(param)}"


def value_placeholder(param: Param) -> str:
    if param.metavar:
        return str(param.metavar)
    default = param.default
    if isinstance(default, enum.Enum):
        return "[" + "|".join(str(m.value) for m in type(default)) + "]"
    return str(param.name).upper()


def default_text(param: Param) -> str:
    """The default as `--help` shows it, or '' when there is none worth showing."""
    show = param.show_default
    if isinstance(show, str):
        return show
    if not show or getattr(param, "is_flag", False) or param.required:
        return ""
    default = param.default
    if default is None or default == () or default == []:
        return ""
    if isinstance(default, enum.Enum):
        return str(default.value)
    if isinstance(default, list | tuple):
        return " ".join(str(d) for d in default)
    return str(default)


def param_rows(params: list[Param]) -> list[str]:
    rows = ["| Name | Default | Description |", "| --- | --- | --- |"]
    for p in params:
        description = md_text(" ".join((p.help or "").split()))
        if p.required:
            description = (description + " *(required)*").strip()
        repeatable = getattr(p, "multiple", False) and p.param_type_name == "option"
        if repeatable and "repeatable" not in description:
            description = (description + " *(repeatable)*").strip()
        default = default_text(p)
        rows.append(
            f"| {code(param_label(p))} | {code(default) if default else ''} | {description} |"
        )
    return rows


def usage(path: Sequence[str], cmd: Command) -> str:
    pieces = [*path, "[OPTIONS]"]
    for p in cmd.params:
        if p.param_type_name != "argument" or p.hidden:
            continue
        label = param_label(p)
        pieces.append(label if p.required or label.startswith("[") else f"[{label}]")
    if is_group(cmd):
        pieces.append("COMMAND [ARGS]...")
    return " ".join(pieces)


def is_group(cmd: Command) -> bool:
    return hasattr(cmd, "list_commands")


def subcommands(cmd: Command, ctx: typer.Context) -> Iterator[tuple[str, Command, typer.Context]]:
    for name in cmd.list_commands(ctx):
        sub = cmd.get_command(ctx, name)
        if sub is None or sub.hidden:
            continue
        yield name, sub, typer.Context(sub, info_name=name, parent=ctx)


def section(path: list[str], cmd: Command, ctx: typer.Context) -> Iterator[str]:
    level = "#" * min(len(path) + 1, 4)
    yield f"{level} {' '.join(path)}"
    yield ""
    yield "```text"
    yield usage(path, cmd)
    yield "```"
    yield ""
    for para in paragraphs(cmd.help):
        if para.startswith("Example: "):
            yield "Example:"
            yield ""
            yield "```sh"
            yield para.removeprefix("Example: ")
            yield "```"
        else:
            yield md_text(para)
        yield ""
    arguments = [p for p in cmd.params if p.param_type_name == "argument" and not p.hidden]
    options = [p for p in cmd.params if p.param_type_name == "option" and not p.hidden]
    if arguments:
        yield "**Arguments**"
        yield ""
        yield from param_rows(arguments)
        yield ""
    if options:
        yield "**Options**"
        yield ""
        yield from param_rows(options)
        yield ""
    if is_group(cmd):
        subs = list(subcommands(cmd, ctx))
        yield "**Commands**"
        yield ""
        yield "| Command | Summary |"
        yield "| --- | --- |"
        for name, sub, _ in subs:
            summary = paragraphs(sub.help)[0] if sub.help else ""
            yield f"| [{name}](#{anchor([*path, name])}) | {md_text(summary)} |"
        yield ""
        for name, sub, sub_ctx in subs:
            yield from section([*path, name], sub, sub_ctx)


def exit_codes(module_doc: str | None) -> str:
    """The "Exit codes: ..." sentence of netgen.cli.app's docstring (one source of truth)."""
    found = re.search(r"Exit codes:[^.]*\.", " ".join((module_doc or "").split()))
    return " " + md_text(found.group(0)) if found else ""


def generate() -> str:
    """The whole page."""
    from netgen.cli import app as app_module

    app = app_module.app
    root = get_command(app)
    ctx = typer.Context(root, info_name="netgen")
    help_names = (app.info.context_settings or {}).get("help_option_names", ["--help"])
    lines = [
        "# CLI reference",
        "",
        "<!-- Generated from netgen.cli.app by scripts/cli_reference.py: do not edit by hand;",
        "     `make docs` regenerates it. -->",
        "",
        f"Every command also takes {' / '.join(code(h) for h in help_names)}."
        + exit_codes(app_module.__doc__),
        "",
        *section(["netgen"], root, ctx),
    ]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "-o", "--output", default=str(DEFAULT_OUTPUT), help="file to write, or - for stdout"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if OUTPUT differs from a fresh generation"
    )
    args = parser.parse_args(argv)
    page = generate()
    if args.output == "-":
        sys.stdout.write(page)
        return 0
    out = Path(args.output)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != page:
            sys.stderr.write(f"{out} is stale: run `make docs` (or {sys.argv[0]})\n")
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists() or out.read_text(encoding="utf-8") != page:
        out.write_text(page, encoding="utf-8")
        sys.stderr.write(f"wrote {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
