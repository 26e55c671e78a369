"""`netgen handoff` pages in a real browser: headless Chromium loads each packet from file://,
the rendered DOM holds the diagram (one edge per tunnel) and a copy button per config block,
screenshots at screen and A4 width are not blank, the page references nothing outside itself,
and the --pdf output carries every tunnel and the address, no PSK and no button text.

Skipped, with the reason, when Chromium (`find_browser()`) or poppler-utils is missing;
`.ci/apt-packages.txt` installs both in CI. Stdlib only: the DOM is read with html.parser and
the screenshots are decoded with zlib/struct.

`NETGEN_UPDATE_DOCS_PNG=1 pytest tests/handoff -k docs_png` rewrites docs/handoff-example.png
from the example site nyc01 (1280x1600, optipng'd when optipng exists).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.handoff.conftest import EXAMPLE, Chromium, Example, run_cli

DOCS_PNG = Path(__file__).resolve().parents[2] / "docs" / "handoff-example.png"
SITES = ["nyc01", "fra01"]  # IOS-XE with 2 WAN links and 4 tunnels; VyOS GRE with 2 tunnels
SCREEN = (1280, 2000)
A4 = (794, 1123)  # A4 in CSS px (210 x 297 mm at 96 px/in)

# Measured with `pdfinfo packets/SITE/SITE.pdf` after `netgen import` and `netgen handoff
# inventory.yaml -o packets --pdf` in a copy of examples/acme (Chromium 156 on Debian
# bookworm, A4: `netgen handoff`'s default --paper), with the vendor
# YAMLs' handoff texts of 2026-11-30. One page either way is allowed for font and engine
# drift; re-measure when those texts or the print CSS change the layout.
PDF_PAGES = {"nyc01": 7, "fra01": 4}


# --- the example's secrets -------------------------------------------------------------------


def example_psks() -> list[str]:
    found: list[str] = []
    for path in sorted((EXAMPLE / "responses").glob("*.json")):
        found += re.findall(r'"psk":\s*"([^"]+)"', path.read_text())
    assert found, "examples/acme/responses carry PSKs"
    return found


def psk_forms(psk: str) -> list[str]:
    return [psk, base64.b64encode(psk.encode()).decode(), psk.encode().hex()]


# --- the DOM Chromium dumps ------------------------------------------------------------------


@dataclass
class Dom:
    diagrams: int = 0  # <svg id="diagram"> elements
    edges: list[str] = field(default_factory=list)  # data-tunnel of each g.tunnel
    svg_text: list[str] = field(default_factory=list)
    copy_targets: list[str | None] = field(default_factory=list)  # button.copy data-target
    pre_ids: list[str | None] = field(default_factory=list)
    links: int = 0
    urls: list[str] = field(default_factory=list)  # every src= and href= value


class DomParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.dom = Dom()
        self._svg_depth = 0  # > 0 inside <svg id="diagram">

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        classes = (attr.get("class") or "").split()
        self.dom.urls += [v for k, v in attrs if k in ("src", "href", "xlink:href") and v]
        if tag == "svg":
            if self._svg_depth or attr.get("id") == "diagram":
                self._svg_depth += 1
            if attr.get("id") == "diagram":
                self.dom.diagrams += 1
        elif tag == "g" and self._svg_depth and "tunnel" in classes and "data-tunnel" in attr:
            self.dom.edges.append(attr["data-tunnel"] or "")
        elif tag == "button" and "copy" in classes:
            self.dom.copy_targets.append(attr.get("data-target"))
        elif tag == "pre":
            self.dom.pre_ids.append(attr.get("id"))
        elif tag == "link":
            self.dom.links += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self._svg_depth:
            self._svg_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._svg_depth:
            self.dom.svg_text.append(data)


def parse_dom(html: str) -> Dom:
    parser = DomParser()
    parser.feed(html)
    parser.close()
    return parser.dom


# --- PNG, decoded with the stdlib ------------------------------------------------------------


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    bpp: int  # bytes per pixel: 3 (RGB) or 4 (RGBA)
    rows: list[bytes]

    def pixels(self, row: bytes) -> list[bytes]:
        return [row[i : i + 3] for i in range(0, len(row), self.bpp)]

    def has_colour(self, rgb: bytes) -> bool:
        for row in self.rows:
            at = row.find(rgb)
            while at != -1:
                if at % self.bpp == 0:
                    return True
                at = row.find(rgb, at + 1)
        return False


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def decode_png(data: bytes) -> Png:
    """8-bit RGB/RGBA, non-interlaced: what Chromium's --screenshot writes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind_of_filter, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind_of_filter == 1:  # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind_of_filter == 2:  # Up
            line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
        elif kind_of_filter == 3:  # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind_of_filter == 4:  # Paeth
            for i in range(stride):
                left, up_left = (line[i - bpp], prev[i - bpp]) if i >= bpp else (0, 0)
                line[i] = (line[i] + _paeth(left, prev[i], up_left)) & 255
        else:
            assert kind_of_filter == 0, f"PNG filter type {kind_of_filter}"
        rows.append(bytes(line))
        prev = line
    return Png(width, height, bpp, rows)


def assert_not_blank(png: Png, data: bytes) -> None:
    assert len(data) > 20_000, f"screenshot of {len(data)} bytes: nearly empty"
    sampled = png.rows[:: max(1, png.height // 100)]
    colours: Counter[bytes] = Counter()
    for row in sampled:
        colours.update(png.pixels(row))
    background = colours.most_common(1)[0][0]
    inked = sum(1 for row in sampled if any(p != background for p in png.pixels(row)))
    assert len(colours) > 16, f"{len(colours)} colours in the sampled rows"
    assert inked > len(sampled) // 4, f"{inked} of {len(sampled)} sampled rows hold anything"


def css_colour(html: str, pattern: str) -> bytes:
    found = re.search(pattern + r"\s*:?\s*#([0-9a-fA-F]{6})\b", html)
    assert found, f"no colour for {pattern} in the page's CSS"
    return bytes.fromhex(found.group(1))


# --- the PDF ---------------------------------------------------------------------------------


def tool(*args: str | Path) -> str:
    run = subprocess.run(
        [*map(str, args)], capture_output=True, text=True, check=False, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def pdf_pages(pdf: Path) -> int:
    found = re.search(r"^Pages:\s+(\d+)", tool("pdfinfo", pdf), re.MULTILINE)
    assert found, "pdfinfo shows no page count"
    return int(found.group(1))


# --- 1. the page in the browser --------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_rendered_dom_has_the_diagram_and_copy_buttons(
    acme: Example, chromium: Chromium, site: str
) -> None:
    dom = parse_dom(chromium.dump_dom(acme.page(site)))
    tunnels = acme.tunnels[site]
    assert tunnels, f"no tunnels of {site} in the plan"
    assert dom.diagrams == 1
    assert sorted(dom.edges) == sorted(tunnels)  # exactly one g.tunnel per tunnel
    svg_text = " ".join(dom.svg_text)
    for name in tunnels:
        assert name in svg_text, f"{name} not labelled in the diagram"
    assert dom.pre_ids and len(dom.copy_targets) == len(dom.pre_ids)
    assert sorted(t or "" for t in dom.copy_targets) == sorted(i or "" for i in dom.pre_ids)


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("size", [SCREEN, A4], ids=["screen", "a4"])
def test_screenshots_are_not_blank(
    acme: Example, chromium: Chromium, site: str, size: tuple[int, int], tmp_path: Path
) -> None:
    width, height = size
    data = chromium.screenshot(acme.page(site), tmp_path / "shot.png", width, height)
    png = decode_png(data)
    assert (png.width, png.height) == size
    assert_not_blank(png, data)
    # the diagram is painted (not only in the DOM): its Cloudflare endpoint boxes are
    # near the top of the page, filled with the CSS's colour
    html = acme.page(site).read_text()
    endpoint_fill = css_colour(html, r"rect\.endpoint\s*\{[^}]*?fill")
    assert png.has_colour(endpoint_fill), f"no #{endpoint_fill.hex()} endpoint box painted"


# --- 2. nothing from the network -------------------------------------------------------------

EXTERNAL = r"""(?:https?:)?//"""


@pytest.mark.parametrize("site", SITES)
def test_the_page_references_nothing_outside(acme: Example, chromium: Chromium, site: str) -> None:
    html = acme.page(site).read_text()
    for text in (html, chromium.dump_dom(acme.page(site))):
        dom = parse_dom(text)
        assert dom.links == 0 and "<link" not in text
        assert not [u for u in dom.urls if re.match(r"\s*" + EXTERNAL, u)], dom.urls
        assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*""" + EXTERNAL, text)
        assert not re.search(r"""url\(\s*["']?\s*""" + EXTERNAL, text)
        assert "@import" not in text


# --- 3. the PDF ------------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_pdf_carries_the_tunnels_and_address_but_no_psk(
    poppler_utils: None, acme: Example, site: str
) -> None:
    pdf = acme.pdf(site)
    assert pdf.read_bytes()[:4] == b"%PDF"
    pages = pdf_pages(pdf)
    assert abs(pages - PDF_PAGES[site]) <= 1, f"{site}.pdf has {pages} pages"
    raw = tool("pdftotext", pdf, "-")
    text = " ".join(raw.split())
    for name in acme.tunnels[site]:
        assert name in text, f"tunnel {name} missing from {site}.pdf"
    assert acme.addresses[site] in text
    # the PSKs were at hand (secrets.txt), yet none is printed in any form
    psks = example_psks()
    assert any(p in (acme.packets / "nyc01" / "secrets.txt").read_text() for p in psks)
    for psk in psks:
        for form in psk_forms(psk):
            assert form not in raw, f"a PSK of the example in {site}.pdf"
    # print CSS hides the copy buttons: the block titles print, their buttons do not
    assert "Step 2.1:" in text
    copy_lines = [line for line in raw.splitlines() if re.search(r"(?:^|\s)Copy\s*$", line)]
    assert not copy_lines, copy_lines


# --- 4. print layout -------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_tunnel_table_rows_are_not_split(poppler_utils: None, acme: Example, site: str) -> None:
    """Each row of the tunnel table prints whole: its name and both /31 addresses on one line,
    and all rows on one page (the table is short; rows are `break-inside: avoid`)."""
    pages = tool("pdftotext", "-layout", acme.pdf(site), "-").split("\f")
    rows = acme.rows[site]
    found: dict[str, int] = {}
    for number, page in enumerate(pages, 1):
        for line in page.splitlines():
            for name, cloudflare, customer in rows:
                pattern = (
                    rf"{re.escape(name)}\s.*{re.escape(cloudflare)}\b.*{re.escape(customer)}\b"
                )
                if name not in found and re.search(pattern, line):
                    found[name] = number
    assert sorted(found) == sorted(r[0] for r in rows), "rows not printed on one line each"
    assert len(set(found.values())) == 1, f"the tunnel table spans pages: {found}"


@pytest.mark.parametrize("site", SITES)
def test_no_page_holds_only_a_block_title(poppler_utils: None, acme: Example, site: str) -> None:
    pages = tool("pdftotext", "-layout", acme.pdf(site), "-").split("\f")
    for number, page in enumerate(pages, 1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert not (len(lines) == 1 and re.match(r"Step \d|Rollback", lines[0])), (
            f"page {number} of {site}.pdf holds only {lines[0]!r}"
        )


@pytest.mark.parametrize("site", SITES)
def test_print_stays_within_the_content_width(
    poppler_utils: None, acme: Example, site: str
) -> None:
    """Words end left of the page's right margin (12 mm) plus the body's 16 px padding."""
    bbox = tool("pdftotext", "-bbox", acme.pdf(site), "-")
    for page in re.finditer(r'<page width="([\d.]+)"[^>]*>(.*?)</page>', bbox, re.DOTALL):
        right = float(page.group(1)) - 12 / 25.4 * 72 - 12  # 12 mm margin, 16 px = 12 pt
        for x_max, word in re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)<', page.group(2)):
            assert float(x_max) <= right + 1, f"{word!r} ends at {x_max} pt, past {right:.0f}"


# --- docs/handoff-example.png ----------------------------------------------------------------


def test_docs_png(acme: Example, chromium: Chromium, tmp_path: Path) -> None:
    """docs/handoff-example.png is nyc01's page, 1280 px wide, its top 1600 px, < 400 KB;
    NETGEN_UPDATE_DOCS_PNG=1 rewrites it from the example."""
    if os.environ.get("NETGEN_UPDATE_DOCS_PNG") == "1":
        # the packet as the docs describe it: no --include-secrets
        packet = tmp_path / "packets"
        run = run_cli("handoff", "inventory.yaml", "-o", packet, "--site", "nyc01", cwd=acme.root)
        assert run.returncode == 0, run.stderr
        shot = tmp_path / "handoff-example.png"
        chromium.screenshot(packet / "nyc01" / "index.html", shot, 1280, 1600)
        if optipng := shutil.which("optipng"):
            subprocess.run([optipng, "-quiet", "-o5", str(shot)], check=True, timeout=600)
        shutil.copyfile(shot, DOCS_PNG)
    data = DOCS_PNG.read_bytes()
    png = decode_png(data)
    assert (png.width, png.height) == (1280, 1600)
    assert len(data) < 400_000
    assert_not_blank(png, data)
