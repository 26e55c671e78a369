"""Shared ground for every stage: diagnostics and the NG code catalogue (``errors``,
``codes``), reading YAML/JSON documents with positions and hard limits (``documents``,
``limits``), pydantic errors as positioned diagnostics (``validation``), crash-safe file writes
and the writer lock (``files``), and where templates and vendor profiles live (``resources``).
Imports nothing else of netgen."""
