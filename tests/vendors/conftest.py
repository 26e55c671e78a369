"""Vendor × scenario parametrization and the single-file snapshot extension."""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from netgen.vendors.registry import load_registry
from tests.scenarios import SCENARIOS, vendor_can_render

REGISTRY = load_registry()


class TextSnapshot(SingleFileSnapshotExtension):
    """One readable UTF-8 file per vendor × scenario."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


@pytest.fixture
def snapshot_file(snapshot: Any) -> Any:
    return snapshot.use_extension(TextSnapshot)


def vendor_cases() -> list[Any]:
    """(vendor, version, scenario) for every scenario the vendor can express."""
    cases = []
    for vid in REGISTRY.ids():
        profile = REGISTRY.vendors[vid]
        versions = profile.tested_versions or [profile.default_version]
        for version in versions:
            for scenario in SCENARIOS:
                if vendor_can_render(profile, scenario):
                    cases.append(
                        pytest.param(vid, version, scenario, id=f"{vid}-{version}-{scenario}")
                    )
    return cases
