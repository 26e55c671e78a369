"""The inventory's JSON Schema: valid 2020-12, deterministic, published, in step with
docs/inventory.md, accepting every inventory netgen accepts and refusing typos."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from netgen.api.editor import init_project, inventory_json_schema, schema_text
from netgen.inventory.json_schema import FIELD_DOCS, SCHEMA_ID, resolve_field
from tests.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "inventory.md"
PUBLISHED = ROOT / "schema" / "inventory.schema.json"
INVALID = ROOT / "tests" / "fixtures" / "invalid"
EXAMPLES = sorted(ROOT.glob("examples/*/inventory.yaml"))

# docs/inventory.md section → where its keys live in the inventory
SECTION_PREFIX = {
    "Top level": "",
    "Sites and devices": "",
    "WAN links": "sites[].devices[].wan[].",
    "Explicit tunnels": "sites[].devices[].tunnels[].",
    "Tunnel settings": "defaults.",
}


@functools.cache
def validator() -> Draft202012Validator:
    return Draft202012Validator(
        inventory_json_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def errors(doc: Any) -> list[str]:
    return [e.message for e in validator().iter_errors(doc)]


# -- the schema itself ---------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12_with_a_stable_id() -> None:
    schema = inventory_json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID == "https://netgen.invalid/schema/inventory-1.json"
    assert schema["title"] and schema["description"]


def test_schema_text_is_deterministic_sorted_json() -> None:
    text = schema_text()
    assert text == schema_text()
    assert text.endswith("}\n") and "\r" not in text
    assert text.isascii()
    assert json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n" == text


def test_published_schema_file_is_current() -> None:
    assert PUBLISHED.read_text() == schema_text(), (
        "regenerate: python -c 'from netgen.api.editor import schema_text; "
        'print(schema_text(), end="")\' > schema/inventory.schema.json'
    )


def test_inventory_json_schema_returns_a_fresh_dict() -> None:
    first = inventory_json_schema()
    first["$defs"].clear()
    assert inventory_json_schema()["$defs"]


def _properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, node in [("<root>", schema), *schema["$defs"].items()]:
        for key, prop in node.get("properties", {}).items():
            yield f"{name}.{key}", prop


def test_every_property_and_model_has_a_description() -> None:
    schema = inventory_json_schema()
    missing = [where for where, prop in _properties(schema) if not prop.get("description")]
    assert missing == []
    assert all(node.get("description") for node in schema["$defs"].values())


def test_no_null_defaults_or_generated_titles() -> None:
    for where, prop in _properties(inventory_json_schema()):
        assert prop.get("default", 0) is not None, where
        assert "title" not in prop, where


def test_every_field_doc_names_a_field() -> None:
    owners = [resolve_field(path) for path in FIELD_DOCS]
    assert len(owners) == len(set(owners))
    with pytest.raises(KeyError):
        resolve_field("sites[].devices[].nope")
    with pytest.raises(KeyError):
        resolve_field("sites[].name.more")


# -- in step with docs/inventory.md --------------------------------------------------------------


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def doc_rows() -> Iterator[tuple[str, dict[str, str]]]:
    """(section, {column: cell}) for every row of the `| key | ...` tables."""
    section = ""
    header: list[str] | None = None
    for line in DOC.read_text().splitlines():
        if line.startswith("#"):
            section, header = line.lstrip("#").strip(), None
        elif not line.startswith("|"):
            header = None
        elif header is None:
            header = _cells(line)
        elif not set(line) <= set("|-: ") and header[0] == "key":
            yield section, dict(zip(header, _cells(line), strict=True))


def doc_paths(section: str, key_cell: str) -> list[str]:
    """`sites[].address`, `.contact` → ["sites[].address", "sites[].contact"]; `type` (or
    `tunnel_type`) names both, a remark in parentheses (where it is allowed) none."""
    key_cell = re.sub(r"\((?!or )[^)]*\)", "", key_cell)
    tokens = re.findall(r"`([^`]+)`", key_cell)
    paths: list[str] = []
    for token in tokens:
        if token.startswith(".") and paths:
            path = paths[0].rsplit(".", 1)[0] + token
        else:
            prefix = SECTION_PREFIX[section]
            if token.startswith("devices[]"):
                prefix = "sites[]."
            path = prefix + token
        paths.append(path.removesuffix("[]"))
    return paths


def _deref(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _object(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any] | None:
    node = _deref(schema, node)
    if "properties" in node:
        return node
    for child in [node.get("items", {}), *node.get("anyOf", [])]:
        if child and (found := _object(schema, child)) is not None:
            return found
    return None


def schema_property(schema: dict[str, Any], path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the property, the object holding it) for ``sites[].devices[].wan[].address``."""
    parent: dict[str, Any] | None = schema
    parts = [p.removesuffix("[]") for p in path.split(".")]
    for i, part in enumerate(parts):
        assert parent is not None, path
        prop: dict[str, Any] = parent["properties"][part]
        if i == len(parts) - 1:
            return prop, parent
        parent = _object(schema, prop)
    raise AssertionError(path)


DOC_ROWS = list(doc_rows())


def test_the_doc_tables_are_found() -> None:
    sections = {section for section, _ in DOC_ROWS}
    assert sections == set(SECTION_PREFIX)
    assert len(DOC_ROWS) > 40


@pytest.mark.parametrize(("section", "row"), DOC_ROWS, ids=[r["key"] for _, r in DOC_ROWS])
def test_documented_key_is_described_in_the_schema(section: str, row: dict[str, str]) -> None:
    schema = validator().schema
    paths = doc_paths(section, row["key"])
    if not paths:
        assert row["key"] == "any tunnel setting"
        return
    for path in paths:
        prop, parent = schema_property(schema, path)
        assert prop.get("description"), path
        resolve_field(path)  # the documented key is a field netgen reads
        required = row.get("required")
        if required is not None:
            assert (path.rsplit(".", 1)[-1] in parent.get("required", [])) == required.startswith(
                "yes"
            ), path
        literal = re.fullmatch(r"`([^`]+)`|(\d+)", row["default"])
        if literal:
            expected = yaml.safe_load(literal.group(1) or literal.group(2))
            assert prop.get("default") == expected, path


# -- what it accepts and refuses -----------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_example_inventories_validate(path: Path) -> None:
    assert errors(yaml.safe_load(path.read_text())) == []


def test_examples_exist() -> None:
    assert EXAMPLES


def test_the_init_starter_validates(tmp_path: Path) -> None:
    result = init_project(tmp_path)
    assert errors(yaml.safe_load(result.inventory.read_text())) == []


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_test_scenarios_validate(scenario: str) -> None:
    for vendor in ("cisco_iosxe", "juniper_srx", "strongswan", "vyos"):
        doc = yaml.safe_load(yaml.safe_dump(SCENARIOS[scenario](vendor, None)))
        assert errors(doc) == [], (scenario, vendor)


def _starter() -> dict[str, Any]:
    path = ROOT / "templates" / "common" / "starter-inventory.yaml"
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    return doc


def _device(doc: dict[str, Any]) -> dict[str, Any]:
    device: dict[str, Any] = doc["sites"][0]["devices"][0]
    return device


def _bad(change: str) -> dict[str, Any]:
    doc = copy.deepcopy(_starter())
    device = _device(doc)
    if change == "unknown top-level key":
        doc["sitez"] = []
    elif change == "unknown device key":
        device["vendr"] = "vyos"
    elif change == "unknown settings key":
        doc["defaults"]["ipsec"]["cryptoo"] = "cloudflare-gcm"
    elif change == "mtu is text":
        doc["defaults"]["mtu"] = "big"
    elif change == "mtu too large":
        doc["defaults"]["mtu"] = 9000
    elif change == "sites is a mapping":
        doc["sites"] = {"name": "x"}
    elif change == "wrong version":
        doc["netgen"] = 2
    elif change == "no cloudflare":
        del doc["cloudflare"]
    elif change == "no wan links":
        device["wan"] = []
    elif change == "bad address":
        device["wan"][0]["address"] = "203.0.113.999"
    elif change == "bad site name":
        doc["sites"][0]["name"] = "-x"
    elif change == "long tunnel name":
        device["tunnels"] = [{"name": "a" * 16, "wan": "isp-a", "endpoint": "cf1"}]
    elif change == "unsupported cipher":
        doc["defaults"]["ipsec"]["crypto"] = {
            "ike": {"encryption": "3des", "prf": "sha256", "dh_group": 20},
            "esp": {"encryption": "aes-256-gcm", "pfs_group": 20},
        }
    elif change == "bad tunnel type":
        doc["defaults"]["tunnel_type"] = "vxlan"
    return doc


BAD = [
    "unknown top-level key",
    "unknown device key",
    "unknown settings key",
    "mtu is text",
    "mtu too large",
    "sites is a mapping",
    "wrong version",
    "no cloudflare",
    "no wan links",
    "bad address",
    "bad site name",
    "long tunnel name",
    "unsupported cipher",
    "bad tunnel type",
]


@pytest.mark.parametrize("change", BAD)
def test_known_bad_documents_are_refused(change: str) -> None:
    assert errors(_starter()) == []
    assert errors(_bad(change)) != []


@pytest.mark.parametrize("name", ["NG201-unknown-key", "NG202-missing", "NG203-bad-ip"])
def test_schema_error_fixtures_are_refused(name: str) -> None:
    assert errors(yaml.safe_load((INVALID / f"{name}.yaml").read_text())) != []


def test_custom_crypto_suite_validates() -> None:
    doc = _starter()
    doc["defaults"]["ipsec"]["crypto"] = {
        "ike": {
            "encryption": "aes-256-cbc",
            "integrity": "sha256",
            "prf": "sha384",
            "dh_group": 14,
        },
        "esp": {"encryption": "aes-128-gcm", "pfs_group": 14},
        "ike_lifetime": 28800,
        "child_lifetime": 3600,
    }
    assert errors(doc) == []


def test_unquoted_platform_version_validates_as_netgen_reads_it() -> None:
    doc = _starter()
    _device(doc)["platform_version"] = 17.9
    assert errors(doc) == []
    _device(doc)["platform_version"] = [17]
    assert errors(doc) != []
