"""The packet's HTML page: templates/handoff/ rendered with autoescaping on (every string may
come from the inventory: a site named ``<script>`` shows as text), in the sandbox, with
undefined names failing. Self-contained: inline CSS, SVG and script; no external request."""

from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from netgen.handoff.packet import SitePacket


def environment(templates_root: Path) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(templates_root)),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


PAPER = {"a4": "A4", "letter": "letter"}


def render_page(env: SandboxedEnvironment, packet: SitePacket, paper: str = "a4") -> str:
    """The page; ``paper`` (a4 or letter) is the print size (and the PDF's)."""
    return env.get_template("handoff/page.html.j2").render(p=packet, paper=PAPER[paper])
