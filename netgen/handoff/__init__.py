"""The field technician's handoff packet (``netgen handoff``): a self-contained HTML page per
site (diagram, tunnel table, per device: pre-checks, config in paste order, verification,
rollback; troubleshooting; checksums), its config files, and optionally a PDF.

:mod:`.packet` computes what the page shows from the device plans and rendered files,
:mod:`.diagram` the SVG's geometry, :mod:`.blocks` the paste blocks, :mod:`.page` renders the
autoescaped template, :mod:`.pdf` prints it with headless Chromium.
"""
