"""`netgen import`: saved Cloudflare responses merged into the lock, every disagreement reported."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from netgen import api
from netgen.cloudflare.responses import IpsecTunnel, classify, read_response
from netgen.core.errors import Diagnostic, Severity, UserError
from netgen.render.output import atomic_write
from netgen.state.importer import ImportResult
from netgen.state.lock import dump_lock
from netgen.state.secrets import fingerprint, new_store
from tests.scenarios import SCENARIOS, import_into, tunnel_id, write_inventory
from tests.validators.vyos_schema import vendor_data_dir

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "responses"
ACME = ROOT / "examples" / "acme"
SCHEMA_FILE = vendor_data_dir() / "cloudflare" / "magic-api-2024-08-06.json"
ACCOUNT = "0123456789abcdef0123456789abcdef"
PSK1 = "FAKE-PSK-hq-a-cf1-0001"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def doc(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(raw(name))
    return data


def src(name: str, data: dict[str, Any] | None = None) -> tuple[str, bytes]:
    return (name, json.dumps(data).encode() if data is not None else raw(name))


@pytest.fixture
def session(tmp_path: Path) -> api.Session:
    path = write_inventory(tmp_path, SCENARIOS["mixed"]("cisco_iosxe", None), with_identities=False)
    return api.open_session(path)


def write_lock(session: api.Session, result: ImportResult) -> api.Session:
    atomic_write(session.lock_path, dump_lock(result.lock).encode())
    return api.open_session(session.path)


def errors_of(exc: pytest.ExceptionInfo[UserError]) -> list[Diagnostic]:
    return [d for d in exc.value.diagnostics if d.severity is Severity.ERROR]


def codes(diags: list[Diagnostic]) -> list[str]:
    return [d.code for d in diags]


LISTS = [src("ipsec_tunnels_list.json"), src("gre_tunnels_list.json")]


# -- fixtures are realistic -----------------------------------------------------------------


@pytest.fixture(scope="module")
def cf_schema() -> dict[str, Any]:
    if not SCHEMA_FILE.is_file():
        pytest.skip(f"Cloudflare API schema not found at {SCHEMA_FILE}")
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    return data


def _item_schema(cf: dict[str, Any], op: str, key: str) -> dict[str, Any]:
    result = cf[op]["response_200"]["allOf"][1]["properties"]["result"]
    schema: dict[str, Any] = result["properties"][key]
    items: dict[str, Any] = schema.get("items", schema)
    return items


def _envelope_schema(cf: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = copy.deepcopy(
        cf["gre_tunnels_list"]["response_200"]["allOf"][0]["allOf"][0]
    )
    del env["properties"]["success"]["enum"]  # also validate success: false envelopes
    env["properties"]["result"]["anyOf"].append({"type": "null"})
    return env


def _acme_op(path: Path) -> str:
    return "psk_generate" if path.name.startswith("psk_") else f"{path.stem}_list"


@pytest.mark.parametrize(
    ("path", "op"),
    [
        (FIXTURES / "ipsec_tunnels_list.json", "ipsec_tunnels_list"),
        (FIXTURES / "gre_tunnels_list.json", "gre_tunnels_list"),
        (FIXTURES / "ipsec_tunnels_create.json", "ipsec_tunnels_create"),
        (FIXTURES / "gre_tunnels_create.json", "gre_tunnels_create"),
        (FIXTURES / "psk_generate_hq_a_cf1.json", "psk_generate"),
        (FIXTURES / "psk_generate_hq_a_cf2.json", "psk_generate"),
        *[(p, _acme_op(p)) for p in sorted((ACME / "responses").glob("*.json"))],
    ],
    ids=lambda v: v.name if isinstance(v, Path) else str(v),
)
def test_fixture_matches_openapi(cf_schema: dict[str, Any], path: Path, op: str) -> None:
    jsonschema.validate(json.loads(path.read_bytes()), cf_schema[op]["response_200"])


@pytest.mark.parametrize(
    ("fixture", "op", "key", "kind"),
    [
        ("ipsec_tunnel_get.json", "ipsec_tunnels_list", "ipsec_tunnels", "ipsec_tunnel"),
        (
            "ipsec_tunnel_update.json",
            "ipsec_tunnels_list",
            "ipsec_tunnels",
            "modified_ipsec_tunnel",
        ),
        ("gre_tunnel_get.json", "gre_tunnels_list", "gre_tunnels", "gre_tunnel"),
        ("gre_tunnel_update.json", "gre_tunnels_list", "gre_tunnels", "modified_gre_tunnel"),
    ],
)
def test_single_object_fixtures_match_openapi(
    cf_schema: dict[str, Any], fixture: str, op: str, key: str, kind: str
) -> None:
    data = doc(fixture)
    jsonschema.validate(data, _envelope_schema(cf_schema))
    jsonschema.validate(data["result"][kind], _item_schema(cf_schema, op, key))


@pytest.mark.parametrize("fixture", ["error_auth.json", "error_create.json"])
def test_error_fixtures_match_the_envelope(cf_schema: dict[str, Any], fixture: str) -> None:
    jsonschema.validate(doc(fixture), _envelope_schema(cf_schema))
    assert doc(fixture)["success"] is False


# -- classification -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "shape", "paths", "psks"),
    [
        (
            "ipsec_tunnels_list.json",
            "ipsec_tunnels",
            [f"result.ipsec_tunnels[{i}]" for i in range(4)],
            0,
        ),
        (
            "gre_tunnels_list.json",
            "gre_tunnels",
            ["result.gre_tunnels[0]", "result.gre_tunnels[1]"],
            0,
        ),
        ("ipsec_tunnels_create.json", "ipsec_tunnels", ["result.ipsec_tunnels[0]"], 0),
        ("ipsec_tunnel_get.json", "ipsec_tunnel", ["result.ipsec_tunnel"], 0),
        ("ipsec_tunnel_update.json", "modified_ipsec_tunnel", ["result.modified_ipsec_tunnel"], 0),
        ("gre_tunnel_get.json", "gre_tunnel", ["result.gre_tunnel"], 0),
        ("gre_tunnel_update.json", "modified_gre_tunnel", ["result.modified_gre_tunnel"], 0),
        ("psk_generate_hq_a_cf1.json", "psk_generate", [], 1),
    ],
)
def test_classify_shapes(fixture: str, shape: str, paths: list[str], psks: int) -> None:
    found = read_response(raw(fixture), fixture)
    assert found.diagnostics == []
    assert found.shape == shape
    assert [t.path for t in found.tunnels] == paths
    assert len(found.psks) == psks


def test_newer_api_returns_the_tunnel_itself_and_old_health_check_name() -> None:
    obj = doc("ipsec_tunnel_get.json")["result"]["ipsec_tunnel"]
    found = classify({"success": True, "errors": [], "messages": [], "result": obj}, "x.json")
    assert [(t.path, t.kind) for t in found.tunnels] == [("result", "ipsec")]
    tunnel = found.tunnels[0].tunnel
    assert isinstance(tunnel, IpsecTunnel)
    assert "tunnel_health_check" in obj and tunnel.health_check is not None


def test_psk_is_hidden_in_models() -> None:
    found = read_response(raw("psk_generate_hq_a_cf1.json"), "p.json")
    assert PSK1 not in repr(found) and PSK1 not in str(found.psks)


# -- importing ------------------------------------------------------------------------------


def test_lists_fill_the_lock(session: api.Session) -> None:
    result = import_into(session, LISTS)
    assert result.diagnostics == []
    entry = result.lock.tunnels["hq_a_cf1"]
    facts = entry.cloudflare
    assert facts is not None and facts.remote_identities is not None
    tid = tunnel_id("hq_a_cf1")
    assert facts.id == tid and facts.type == "ipsec"
    assert facts.remote_identities.fqdn_id == f"{tid}.{ACCOUNT}.ipsec.cloudflare.com"
    assert facts.remote_identities.user_id == f"ipsec@{tid}.{ACCOUNT}.ipsec.cloudflare.com"
    assert facts.remote_identities.hex_id == f"{ACCOUNT}_{tid}"
    assert str(facts.cloudflare_endpoint) == "192.0.2.10"
    assert str(facts.customer_endpoint) == "203.0.113.10"
    assert facts.created_on and facts.modified_on and facts.psk_generated_on
    gre = result.lock.tunnels["hq_b_cf1"].cloudflare
    assert gre is not None and gre.type == "gre" and gre.remote_identities is None
    assert all(t.cloudflare and t.cloudflare.id for t in result.lock.tunnels.values())
    changes = {
        c.split(": set ")[0]: c.split(": set ")[1].split(", ")
        for c in result.changes
        if ": set " in c
    }
    assert {"id", "fqdn_id"} <= set(changes["hq_a_cf1"]) and "id" in changes["hq_b_cf1"]
    assert result.lock_changed and result.psks == {}


def test_import_is_idempotent(session: api.Session) -> None:
    sources = [*LISTS, src("psk_generate_hq_a_cf1.json")]
    first = import_into(session, sources)
    again = write_lock(session, first)
    second = import_into(again, sources)
    assert dump_lock(second.lock) == dump_lock(first.lock)
    assert not second.lock_changed
    assert [c for c in second.changes if not c.startswith("psk")] == []


def test_update_wins_over_older_responses_in_any_order(session: api.Session) -> None:
    files = [src("ipsec_tunnel_update.json"), src("ipsec_tunnels_create.json"), *LISTS]
    for order in (files, list(reversed(files))):
        facts = import_into(session, order).lock.tunnels["hq_a_cf1"].cloudflare
        assert facts is not None and facts.modified_on == "2024-08-07T09:00:00.000001Z"
        assert facts.psk_generated_on == "2024-08-06T10:22:01.500000Z"


def test_get_and_update_shapes(session: api.Session) -> None:
    sources = [
        src(n)
        for n in (
            "ipsec_tunnel_get.json",
            "gre_tunnel_get.json",
            "gre_tunnels_create.json",
            "gre_tunnel_update.json",
        )
    ]
    result = import_into(session, sources)
    lock = result.lock.tunnels
    assert {n for n, t in lock.items() if t.cloudflare} == {"hq_a_cf2", "hq_b_cf1", "hq_b_cf2"}
    hq_b_cf2 = lock["hq_b_cf2"].cloudflare
    assert hq_b_cf2 is not None and hq_b_cf2.modified_on == "2024-08-07T09:30:00.000002Z"


def test_missing_remote_identities_keep_what_the_lock_has(session: api.Session) -> None:
    only_create = import_into(session, [src("ipsec_tunnels_create.json")])
    facts = only_create.lock.tunnels["hq_a_cf1"].cloudflare
    assert facts is not None and facts.id and facts.remote_identities is None
    with_ids = write_lock(session, import_into(session, LISTS))
    later = import_into(with_ids, [src("ipsec_tunnels_create.json")])
    kept = later.lock.tunnels["hq_a_cf1"].cloudflare
    assert kept is not None and kept.remote_identities is not None


def test_tunnels_not_mentioned_stay_as_they_are(session: api.Session) -> None:
    before = write_lock(session, import_into(session, LISTS))
    result = import_into(before, [src("gre_tunnel_update.json")])
    for name, entry in result.lock.tunnels.items():
        if name != "hq_b_cf2":
            assert entry == before.lock.tunnels[name]


def test_psk_from_the_same_batch(session: api.Session) -> None:
    store = new_store(b"\x01" * 16)
    result = import_into(session, [*LISTS, src("psk_generate_hq_a_cf1.json")], store=store)
    assert result.psks == {"hq_a_cf1": PSK1}
    fp = fingerprint(PSK1, store.salt)
    assert f"psk for hq_a_cf1 (fingerprint {fp})" in result.changes
    facts = result.lock.tunnels["hq_a_cf1"].cloudflare
    assert facts is not None and facts.psk_generated_on == "2024-08-06T10:42:00.000001Z"
    assert PSK1 not in repr(result) and PSK1 not in dump_lock(result.lock)
    assert all(PSK1 not in c for c in result.changes)


def test_psk_by_id_from_the_lock(session: api.Session) -> None:
    known = write_lock(session, import_into(session, LISTS))
    result = import_into(known, [src("psk_generate_hq_a_cf2.json")])
    assert result.psks == {"hq_a_cf2": "FAKE-PSK-hq-a-cf2-0002"}
    assert result.changes == ["psk for hq_a_cf2"]


def test_psk_for_unknown_tunnel_id(session: api.Session) -> None:
    with pytest.raises(UserError) as exc:
        import_into(session, [src("psk_generate_hq_a_cf1.json")])
    (err,) = errors_of(exc)
    assert err.code == "NG620" and tunnel_id("hq_a_cf1") in err.message
    assert err.field == "result.ipsec_tunnel_id"
    assert PSK1 not in str(exc.value) and all(PSK1 not in d.format() for d in exc.value.diagnostics)


def test_psk_with_unsafe_characters(session: api.Session) -> None:
    psk = doc("psk_generate_hq_a_cf1.json")
    psk["result"]["psk"] = 'FAKE "PSK" with quotes'
    with pytest.raises(UserError) as exc:
        import_into(session, [*LISTS, src("psk.json", psk)])
    (err,) = errors_of(exc)
    assert (err.code, err.field) == ("NG704", "result.psk") and "FAKE" not in err.format()


def test_psk_for_a_gre_tunnel(session: api.Session) -> None:
    psk = doc("psk_generate_hq_a_cf1.json")
    psk["result"]["ipsec_tunnel_id"] = tunnel_id("hq_b_cf1")
    with pytest.raises(UserError) as exc:
        import_into(session, [*LISTS, src("psk.json", psk)])
    assert codes(errors_of(exc)) == ["NG614"]


@pytest.mark.parametrize(
    ("fixture", "code", "words"),
    [
        ("error_auth.json", "NG604", ["10000", "Authentication error"]),
        ("cloudflare_502.html", "NG602", ["HTML", "502: Bad gateway"]),
        ("truncated.json", "NG601", ["truncated"]),
        ("empty.json", "NG601", ["empty"]),
        ("not_envelope.json", "NG603", ["envelope"]),
    ],
)
def test_broken_files(session: api.Session, fixture: str, code: str, words: list[str]) -> None:
    with pytest.raises(UserError) as exc:
        import_into(session, [*LISTS, src(fixture)])
    errs = errors_of(exc)
    assert {d.code for d in errs} == {code}
    assert all(d.position is not None and d.position.file == fixture for d in errs)
    for word in words:
        assert word in errs[0].message


def test_every_cloudflare_error_is_reported(session: api.Session) -> None:
    with pytest.raises(UserError) as exc:
        import_into(session, [src("error_create.json")])
    messages = [d.message for d in errors_of(exc)]
    assert messages == [
        "errors[0]: Cloudflare error 1101: name: tunnel name hq_a_cf1 is already in use",
        "errors[1]: Cloudflare error 1103: interface_address: overlaps with existing tunnel",
    ]


@pytest.mark.parametrize("cut", [10, 200, 333, -2])
def test_truncated_anywhere(session: api.Session, cut: int) -> None:
    with pytest.raises(UserError) as exc:
        import_into(session, [("t.json", raw("ipsec_tunnels_list.json")[:cut])])
    (err,) = errors_of(exc)
    assert err.code == "NG601" and "truncated" in err.message


def test_json_syntax_error_has_line_and_column(session: api.Session) -> None:
    bad = b'{\n  "success": true,\n  "result": {"gre_tunnels": [}\n}\n'
    with pytest.raises(UserError) as exc:
        import_into(session, [("bad.json", bad)])
    (err,) = errors_of(exc)
    assert err.code == "NG601" and err.position is not None
    assert (err.position.line, err.position.column) == (3, 30)


def test_invalid_objects_never_echo_values(session: api.Session) -> None:
    psk = doc("psk_generate_hq_a_cf1.json")
    psk["result"]["psk"] = 12345678901234567
    lst = doc("ipsec_tunnels_list.json")
    lst["result"]["ipsec_tunnels"][1]["interface_address"] = "FAKE-PSK-not-an-address"
    with pytest.raises(UserError) as exc:
        import_into(session, [src("a.json", psk), src("b.json", lst)])
    errs = errors_of(exc)
    assert {(d.code, d.field) for d in errs} == {
        ("NG605", "result.psk"),
        ("NG605", "result.ipsec_tunnels[1].interface_address"),
    }
    assert all("12345678901234567" not in d.format() and "FAKE" not in d.format() for d in errs)


def _mutated(fixture: str, index: int, **fields: Any) -> tuple[str, bytes]:
    data = doc(fixture)
    key = "ipsec_tunnels" if fixture.startswith("ipsec") else "gre_tunnels"
    data["result"][key][index].update(fields)
    return src(fixture, data)


@pytest.mark.parametrize(
    ("fixture", "index", "fields", "code", "field"),
    [
        (
            "ipsec_tunnels_list.json",
            2,
            {"cloudflare_endpoint": "192.0.2.99"},
            "NG610",
            "result.ipsec_tunnels[2].cloudflare_endpoint",
        ),
        (
            "gre_tunnels_list.json",
            0,
            {"cloudflare_gre_endpoint": "192.0.2.20"},
            "NG610",
            "result.gre_tunnels[0].cloudflare_gre_endpoint",
        ),
        (
            "ipsec_tunnels_list.json",
            3,
            {"customer_endpoint": "198.51.100.99"},
            "NG611",
            "result.ipsec_tunnels[3].customer_endpoint",
        ),
        (
            "gre_tunnels_list.json",
            1,
            {"customer_gre_endpoint": "203.0.113.99"},
            "NG611",
            "result.gre_tunnels[1].customer_gre_endpoint",
        ),
        (
            "ipsec_tunnels_list.json",
            2,
            {"interface_address": "10.252.3.0/31"},
            "NG612",
            "result.ipsec_tunnels[2].interface_address",
        ),
        (
            "ipsec_tunnels_list.json",
            2,
            {"interface_address": "10.252.0.5/31"},
            "NG612",
            "result.ipsec_tunnels[2].interface_address",
        ),
        ("ipsec_tunnels_list.json", 0, {"name": "hq_b_cf1"}, "NG614", "result.ipsec_tunnels[0]"),
    ],
)
def test_disagreements_are_errors_with_file_and_path(
    session: api.Session, fixture: str, index: int, fields: dict[str, Any], code: str, field: str
) -> None:
    other = [s for s in LISTS if s[0] != fixture and "name" not in fields]
    with pytest.raises(UserError) as exc:
        import_into(session, [_mutated(fixture, index, **fields), *other])
    (err,) = errors_of(exc)
    assert (err.code, err.field) == (code, field)
    assert err.position is not None and err.position.file == fixture
    assert err.message.startswith(field)


def test_ipsec_without_customer_endpoint_is_fine(session: api.Session) -> None:
    data = doc("ipsec_tunnels_list.json")
    del data["result"]["ipsec_tunnels"][0]["customer_endpoint"]
    result = import_into(session, [src("l.json", data)])
    facts = result.lock.tunnels["branch_1a_cf1"].cloudflare
    assert facts is not None and facts.customer_endpoint is None


def test_errors_from_several_files_are_all_reported(session: api.Session) -> None:
    sources = [
        _mutated("ipsec_tunnels_list.json", 2, cloudflare_endpoint="192.0.2.99"),
        src("error_auth.json"),
        src("truncated.json"),
    ]
    with pytest.raises(UserError) as exc:
        import_into(session, sources)
    assert sorted(codes(errors_of(exc))) == ["NG601", "NG604", "NG610"]


def test_unknown_tunnel_is_a_warning(session: api.Session) -> None:
    data = doc("ipsec_tunnels_list.json")
    extra = copy.deepcopy(data["result"]["ipsec_tunnels"][0])
    extra.update(name="legacy_tun", id="f" * 32, interface_address="10.252.9.0/31")
    data["result"]["ipsec_tunnels"].append(extra)
    result = import_into(session, [src("ipsec_tunnels_list.json", data)])
    (warn,) = result.diagnostics
    assert (warn.code, warn.severity, warn.field) == (
        "NG621",
        Severity.WARNING,
        "result.ipsec_tunnels[4]",
    )
    assert "legacy_tun" not in result.lock.tunnels


def test_lock_id_mismatch_and_conflicting_batch(session: api.Session) -> None:
    known = write_lock(session, import_into(session, LISTS))
    with pytest.raises(UserError) as exc:
        import_into(known, [_mutated("ipsec_tunnels_list.json", 2, id="e" * 32)])
    assert codes(errors_of(exc)) == ["NG615"]
    with pytest.raises(UserError) as exc:
        import_into(
            session,
            [_mutated("ipsec_tunnels_list.json", 2, id="e" * 32), src("ipsec_tunnels_create.json")],
        )
    assert codes(errors_of(exc)) == ["NG616", "NG616"]


def test_older_response_than_the_lock_is_skipped(session: api.Session) -> None:
    newer = write_lock(session, import_into(session, [src("ipsec_tunnel_update.json")]))
    result = import_into(newer, [src("ipsec_tunnels_create.json")])
    assert codes(result.diagnostics) == ["NG622"]
    assert result.lock == newer.lock


def test_routes_response_is_skipped_with_a_warning(session: api.Session) -> None:
    result = import_into(session, [*LISTS, src("routes_create.json")])
    assert codes(result.diagnostics) == ["NG606"]


# -- adopt ----------------------------------------------------------------------------------


def test_adopt_takes_cloudflares_address(session: api.Session) -> None:
    moved = _mutated("ipsec_tunnels_list.json", 2, interface_address="10.252.3.0/31")
    result = import_into(session, [moved], adopt=True)
    assert str(result.lock.tunnels["hq_a_cf1"].interface_address) == "10.252.3.0/31"
    assert result.lock.tunnels["hq_a_cf1"].index == session.allocation.assignments["hq_a_cf1"].index
    assert "hq_a_cf1: interface_address adopted from Cloudflare" in result.changes
    again = write_lock(session, result)
    assert str(again.allocation.assignments["hq_a_cf1"].interface_address) == "10.252.3.0/31"
    assert dump_lock(import_into(again, [moved], adopt=True).lock) == dump_lock(result.lock)


@pytest.mark.parametrize(
    ("index", "address", "code", "words"),
    [
        (2, "192.0.2.0/31", "NG613", "allowed ranges"),
        (2, "10.252.3.0/29", "NG613", "/31 or a /30"),
        (2, "10.252.3.0/30", "NG613", "usable host"),
        (2, "10.252.0.6/31", "NG613", "hq_a_cf2"),
        (0, "10.252.0.5/30", "NG613", "hq_a_cf1"),
    ],
)
def test_adopt_checks_the_address(
    session: api.Session, index: int, address: str, code: str, words: str
) -> None:
    with pytest.raises(UserError) as exc:
        import_into(
            session,
            [_mutated("ipsec_tunnels_list.json", index, interface_address=address)],
            adopt=True,
        )
    (err,) = errors_of(exc)
    assert err.code == code and words in err.message


def test_adopt_a_free_slash_30(session: api.Session) -> None:
    moved = _mutated("ipsec_tunnels_list.json", 2, interface_address="10.252.3.1/30")
    result = import_into(session, [moved], adopt=True)
    assert str(result.lock.tunnels["hq_a_cf1"].interface_address) == "10.252.3.1/30"


def test_adopt_does_not_override_an_inventory_pin(session: api.Session) -> None:
    moved = _mutated("gre_tunnels_list.json", 0, interface_address="10.252.3.0/31")
    with pytest.raises(UserError) as exc:
        import_into(session, [moved], adopt=True)
    (err,) = errors_of(exc)
    assert err.code == "NG612" and err.hint and "10.252.3.0/31" in err.hint


# -- the bundled example ----------------------------------------------------------------------


def test_acme_example_responses_import_cleanly(tmp_path: Path) -> None:
    shutil.copy(ACME / "inventory.yaml", tmp_path / "inventory.yaml")
    session = api.open_session(tmp_path / "inventory.yaml")
    files = sorted((ACME / "responses").glob("*.json"))
    result = import_into(session, [(f"responses/{f.name}", f.read_bytes()) for f in files])
    assert result.diagnostics == []
    assert all(t.cloudflare and t.cloudflare.id for t in result.lock.tunnels.values())
    ipsec = {
        n for n, t in session.loaded.inventory.tunnels.items() if t.settings.tunnel_type == "ipsec"
    }
    assert set(result.psks) == ipsec and len(ipsec) == 8
    assert all(v.startswith("FAKE-PSK-") for v in result.psks.values())
    # the example's committed lock is exactly what importing its responses produces
    assert dump_lock(result.lock) == (ACME / "netgen.lock.yaml").read_text()
