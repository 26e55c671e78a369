"""Print a packet page to PDF with headless Chromium (Debian's ``chromium``).

Chromium rather than WeasyPrint: the page is checked in the same browser by the tests (DOM,
screenshots), so the PDF is exactly what the browser test saw; it needs no Python dependency
and no network (the page has no external reference; background networking, component updates
and sync are switched off, and the profile is a throwaway directory).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from netgen.core.errors import UserError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120


def find_browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def browser_command(browser: str, profile: Path) -> list[str]:
    """Headless Chromium, isolated: no sandbox (root in CI), no GPU, no network activity of
    its own, a throwaway profile."""
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={profile}",
    ]


def print_pdf(page: Path, pdf: Path) -> None:
    """Write ``pdf`` from the HTML file ``page`` (paper size from the page's ``@page``)."""
    browser = find_browser()
    if browser is None:
        raise UserError.single(
            "NG822",
            "--pdf needs Chromium, and none was found",
            hint="install it (Debian: apt-get install chromium), or leave out --pdf "
            "and print index.html from any browser",
        )
    with tempfile.TemporaryDirectory(prefix="netgen-chromium-") as profile:
        run = subprocess.run(
            [
                *browser_command(browser, Path(profile)),
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    if run.returncode != 0 or not pdf.is_file():
        raise UserError.single(
            "NG823",
            f"Chromium could not print the PDF (exit {run.returncode})",
            file=str(page),
            hint="run with --debug, or print index.html from a browser",
        )
