"""The Cloudflare fake, driven by the official SDK over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

pytest.importorskip("cloudflare")

import cloudflare

from tests.cloudflare_fake import DEFAULT_ACCOUNT, FakeCloudflare
from tests.cloudflare_fake.schemas import default_schema_file, objects_in

HEX32 = re.compile(r"[0-9a-f]{32}")
GRE: dict[str, Any] = {
    "name": "gre_1",
    "customer_gre_endpoint": "203.0.113.10",
    "cloudflare_gre_endpoint": "192.0.2.10",
    "interface_address": "10.252.1.0/31",
}
IPSEC: dict[str, Any] = {
    "name": "ipsec_1",
    "customer_endpoint": "203.0.113.20",
    "cloudflare_endpoint": "192.0.2.10",
    "interface_address": "10.252.2.0/31",
}
ROUTE: dict[str, Any] = {"prefix": "10.10.0.0/16", "nexthop": "10.252.1.1", "priority": 100}


@pytest.fixture(scope="module")
def published() -> dict[str, Any]:
    """The published schemas, read independently of the fake."""
    path = default_schema_file()
    if not path.is_file():
        pytest.skip(f"Cloudflare API schema not found at {path}")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.fixture
def fake(published: dict[str, Any]) -> Iterator[FakeCloudflare]:
    with FakeCloudflare() as server:
        yield server


@pytest.fixture
def client(fake: FakeCloudflare) -> cloudflare.Cloudflare:
    # strict: every answer must parse into the SDK's own models, datetimes included
    return cloudflare.Cloudflare(
        api_token=fake.token,
        base_url=fake.base_url,
        max_retries=2,
        _strict_response_validation=True,
    )


def _raw(fake: FakeCloudflare, method: str, path: str, body: Any = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {fake.token}"}
    return httpx.request(method, fake.base_url + path, json=body, headers=headers)


def _codes(exc: cloudflare.APIStatusError) -> list[int | None]:
    return [e.code for e in exc.errors]


# -- CRUD through the SDK ----------------------------------------------------------------


def test_gre_tunnel_lifecycle(fake: FakeCloudflare, client: cloudflare.Cloudflare) -> None:
    acc = fake.account_id
    gre = client.magic_transit.gre_tunnels
    made = gre.create(account_id=acc, ttl=32, **GRE)
    assert HEX32.fullmatch(made.id)
    assert (made.name, made.interface_address, made.ttl, made.mtu) == (
        "gre_1",
        "10.252.1.0/31",
        32,
        1476,
    )
    assert made.created_on == made.modified_on and made.created_on is not None
    assert made.health_check is not None and made.health_check.type == "reply"

    listed = gre.list(account_id=acc).gre_tunnels
    assert listed is not None and [t.id for t in listed] == [made.id]
    got = gre.get(made.id, account_id=acc).gre_tunnel
    assert got is not None and got.customer_gre_endpoint == "203.0.113.10"

    changed = gre.update(
        made.id, account_id=acc, **{**GRE, "customer_gre_endpoint": "203.0.113.99"}
    )
    assert changed.modified is True and changed.modified_gre_tunnel is not None
    after = changed.modified_gre_tunnel
    assert after.customer_gre_endpoint == "203.0.113.99" and after.ttl == 32  # ttl kept
    assert after.created_on == made.created_on
    assert after.modified_on is not None and made.modified_on is not None
    assert after.modified_on > made.modified_on

    gone = gre.delete(made.id, account_id=acc)
    assert gone.deleted is True and gone.deleted_gre_tunnel is not None
    assert gone.deleted_gre_tunnel.id == made.id
    assert gre.list(account_id=acc).gre_tunnels == []

    base = f"/accounts/{acc}/magic/gre_tunnels"
    assert [(r.method, r.path, r.action) for r in fake.requests] == [
        ("POST", base, "create"),
        ("GET", base, "list"),
        ("GET", f"{base}/{made.id}", "get"),
        ("PUT", f"{base}/{made.id}", "update"),
        ("DELETE", f"{base}/{made.id}", "delete"),
        ("GET", base, "list"),
    ]
    assert fake.requests[0].body == {**GRE, "ttl": 32}  # only what was given
    assert fake.requests[4].body is None
    assert fake.count("GET", "gre_tunnels") == 3 and len(fake.writes()) == 3


def test_ipsec_tunnel_identities_and_psk(
    fake: FakeCloudflare, client: cloudflare.Cloudflare
) -> None:
    acc = fake.account_id
    ipsec = client.magic_transit.ipsec_tunnels
    made = ipsec.create(account_id=acc, replay_protection=False, **IPSEC)
    assert made.model_extra is not None
    assert made.model_extra["remote_identities"] == {
        "hex_id": f"{acc}_{made.id}",
        "fqdn_id": f"{made.id}.{acc}.ipsec.cloudflare.com",
        "user_id": f"ipsec@{made.id}.{acc}.ipsec.cloudflare.com",
    }
    assert made.psk_metadata is None and made.allow_null_cipher is False

    generated = ipsec.psk_generate(made.id, account_id=acc)
    assert generated.ipsec_tunnel_id == made.id
    assert generated.psk is not None and generated.psk.startswith("FAKE-PSK-")
    assert len(generated.psk) >= 32 and fake.psk_of(made.id) == generated.psk
    assert generated.psk_metadata is not None and generated.psk_metadata.last_generated_on
    assert fake.requests[-1].body is None  # psk_generate sends no body

    listed = ipsec.list(account_id=acc).ipsec_tunnels
    assert listed is not None and len(listed) == 1
    assert listed[0].psk_metadata == generated.psk_metadata
    assert generated.psk not in json.dumps(fake.objects("ipsec_tunnels"))

    own = "an-own-psk-of-sufficient-length-0123456789"
    changed = ipsec.update(made.id, account_id=acc, psk=own, **IPSEC).modified_ipsec_tunnel
    assert changed is not None and changed.psk_metadata is not None
    assert fake.psk_of(made.id) == own and "psk" not in changed.model_dump()
    got = ipsec.get(made.id, account_id=acc).ipsec_tunnel
    assert got is not None and got.model_extra == made.model_extra  # identities stay

    deleted = ipsec.delete(made.id, account_id=acc).deleted_ipsec_tunnel
    assert deleted is not None and deleted.id == made.id and fake.psk_of(made.id) is None


def test_route_lifecycle(fake: FakeCloudflare, client: cloudflare.Cloudflare) -> None:
    acc = fake.account_id
    routes = client.magic_transit.routes
    made = routes.create(account_id=acc, description="site a", weight=10, **ROUTE)
    assert HEX32.fullmatch(made.id) and made.weight == 10
    changed = routes.update(made.id, account_id=acc, **{**ROUTE, "priority": 200})
    assert changed.modified_route is not None and changed.modified_route.priority == 200
    assert changed.modified_route.description == "site a"  # omitted: kept
    got = routes.get(made.id, account_id=acc).route
    assert got is not None and got.priority == 200
    assert [r.id for r in routes.list(account_id=acc).routes or []] == [made.id]
    deleted = routes.delete(made.id, account_id=acc)
    assert deleted.deleted is True and deleted.deleted_route is not None
    assert routes.list(account_id=acc).routes == []


def test_validate_only_stores_nothing(fake: FakeCloudflare, client: cloudflare.Cloudflare) -> None:
    acc = fake.account_id
    gre = client.magic_transit.gre_tunnels
    preview = gre.create(account_id=acc, extra_query={"validate_only": True}, **GRE)
    assert fake.requests[-1].query == {"validate_only": "true"}
    assert fake.objects("gre_tunnels") == []
    real = gre.create(account_id=acc, **GRE)
    assert real.id == preview.id and real.created_on == preview.created_on


def test_environment_variables_reach_the_fake(
    fake: FakeCloudflare, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.base_url)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", fake.token)
    assert fake.base_url.startswith("http://127.0.0.1:")
    listed = cloudflare.Cloudflare().magic_transit.routes.list(account_id=fake.account_id)
    assert listed.routes == []


# -- refusals ------------------------------------------------------------------------------


def test_wrong_token_is_refused(fake: FakeCloudflare) -> None:
    wrong = cloudflare.Cloudflare(api_token="not-it", base_url=fake.base_url, max_retries=2)
    with pytest.raises(cloudflare.PermissionDeniedError) as caught:
        wrong.magic_transit.gre_tunnels.list(account_id=fake.account_id)
    assert caught.value.status_code == 403 and _codes(caught.value) == [10000]
    assert caught.value.errors[0].message == "Authentication error"
    assert [r.status for r in fake.requests] == [403]  # 403 is not retried


def test_other_account_unknown_path_and_method(
    fake: FakeCloudflare, client: cloudflare.Cloudflare
) -> None:
    with pytest.raises(cloudflare.PermissionDeniedError) as caught:
        client.magic_transit.routes.list(account_id="f" * 32)
    assert _codes(caught.value) == [9109]
    answer = _raw(fake, "GET", f"/accounts/{fake.account_id}/magic/tunnels")
    assert answer.status_code == 404 and answer.json()["errors"][0]["code"] == 7000
    answer = _raw(fake, "DELETE", f"/accounts/{fake.account_id}/magic/routes")
    assert answer.status_code == 405 and answer.json()["result"] is None
    with pytest.raises(cloudflare.NotFoundError) as missing:
        client.magic_transit.gre_tunnels.get("0" * 32, account_id=fake.account_id)
    assert _codes(missing.value) == [1002]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"mtu": "1476"}, "mtu: must be of type integer"),
        ({"health_check": {"rate": "fast"}}, "health_check.rate: must be one of"),
        ({"name": "has space"}, "name:"),
        ({"name": "sixteen_chars_xx"}, "name:"),
        ({"interface_address": "10.252.1.0/24"}, "/31 or a /30"),
        ({"interface_address": "8.8.8.0/31"}, "inside 10/8"),
        ({"customer_gre_endpoint": "not-an-ip"}, "customer_gre_endpoint"),
        ({"mtu": 500}, "576"),
        ({"description": None}, "description: must be of type string"),
    ],
)
def test_invalid_gre_body_is_refused(
    fake: FakeCloudflare, client: cloudflare.Cloudflare, change: dict[str, Any], needle: str
) -> None:
    with pytest.raises(cloudflare.BadRequestError) as caught:
        client.magic_transit.gre_tunnels.create(
            account_id=fake.account_id, **GRE, extra_body=change
        )
    assert _codes(caught.value) == [1001]
    assert needle in str(caught.value.errors[0].message)
    assert fake.objects("gre_tunnels") == [] and fake.requests[-1].status == 400


def test_missing_field_and_bad_route(fake: FakeCloudflare, client: cloudflare.Cloudflare) -> None:
    answer = _raw(fake, "POST", f"/accounts/{fake.account_id}/magic/ipsec_tunnels", {"name": "x"})
    assert answer.status_code == 400
    assert answer.json()["errors"] == [
        {"code": 1001, "message": "body: 'cloudflare_endpoint' is a required property"}
    ]
    with pytest.raises(cloudflare.BadRequestError) as caught:
        client.magic_transit.routes.create(
            account_id=fake.account_id, prefix="10.10.0.1/16", nexthop="10.252.1.1", priority=1
        )
    assert "host bits" in str(caught.value.errors[0].message)
    secret = "do-not-echo-this-secret-value"
    with pytest.raises(cloudflare.BadRequestError) as leaked:
        client.magic_transit.ipsec_tunnels.create(
            account_id=fake.account_id, **IPSEC, extra_body={"psk": [secret]}
        )
    assert secret not in json.dumps(leaked.value.body)


def test_duplicate_names_are_refused(fake: FakeCloudflare, client: cloudflare.Cloudflare) -> None:
    acc = fake.account_id
    first = client.magic_transit.gre_tunnels.create(account_id=acc, **GRE)
    with pytest.raises(cloudflare.BadRequestError) as caught:
        client.magic_transit.gre_tunnels.create(account_id=acc, **GRE)
    assert _codes(caught.value) == [1003]
    with pytest.raises(cloudflare.BadRequestError):  # one namespace for GRE and IPsec
        client.magic_transit.ipsec_tunnels.create(account_id=acc, **{**IPSEC, "name": "gre_1"})
    other = client.magic_transit.ipsec_tunnels.create(account_id=acc, **IPSEC)
    with pytest.raises(cloudflare.BadRequestError):
        client.magic_transit.ipsec_tunnels.update(
            other.id, account_id=acc, **{**IPSEC, "name": "gre_1"}
        )
    renamed = client.magic_transit.gre_tunnels.update(first.id, account_id=acc, **GRE)
    assert renamed.modified is True  # its own name is no conflict


# -- faults and retries ------------------------------------------------------------------


def test_rate_limit_then_success(fake: FakeCloudflare, client: cloudflare.Cloudflare) -> None:
    fake.fail_next(429)
    assert client.magic_transit.gre_tunnels.list(account_id=fake.account_id).gre_tunnels == []
    assert fake.count("GET", "gre_tunnels") == 2
    assert [r.status for r in fake.requests] == [429, 200]

    fake.fail_next(429)
    answer = _raw(fake, "GET", f"/accounts/{fake.account_id}/magic/routes")
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "0" and answer.headers["retry-after-ms"] == "1"
    assert answer.json()["errors"][0]["code"] == 971


def test_faults_filtered_by_method_and_kind(
    fake: FakeCloudflare, client: cloudflare.Cloudflare
) -> None:
    acc = fake.account_id
    fake.fail_next(503, times=3, on="POST", kind="routes")
    client.magic_transit.gre_tunnels.create(account_id=acc, **GRE)  # not matched
    client.magic_transit.routes.list(account_id=acc)  # not matched
    with pytest.raises(cloudflare.InternalServerError) as caught:
        client.magic_transit.routes.create(account_id=acc, **ROUTE)
    assert caught.value.status_code == 503 and _codes(caught.value) == [1000]
    assert fake.count("POST", "routes") == 3 and fake.objects("routes") == []
    client.magic_transit.routes.create(account_id=acc, **ROUTE)  # the fault is used up
    assert len(fake.objects("routes")) == 1


def test_fail_after_breaks_the_middle_write(
    fake: FakeCloudflare, client: cloudflare.Cloudflare
) -> None:
    acc = fake.account_id
    fake.fail_after(1, 500, times=3)  # max_retries=2: three answers make it stick
    client.magic_transit.gre_tunnels.list(account_id=acc)  # reads do not count
    client.magic_transit.gre_tunnels.create(account_id=acc, **GRE)
    with pytest.raises(cloudflare.InternalServerError):
        client.magic_transit.ipsec_tunnels.create(account_id=acc, **IPSEC)
    client.magic_transit.routes.create(account_id=acc, **ROUTE)
    assert [(r.kind, r.status) for r in fake.writes()] == [
        ("gre_tunnels", 200),
        ("ipsec_tunnels", 500),
        ("ipsec_tunnels", 500),
        ("ipsec_tunnels", 500),
        ("routes", 200),
    ]
    assert fake.objects("ipsec_tunnels") == []

    fake.fail_after(0, 500)  # once: the SDK's retry goes through
    client.magic_transit.routes.delete(fake.objects("routes")[0]["id"], account_id=acc)
    assert [r.status for r in fake.writes()[-2:]] == [500, 200]


def test_wrong_token_does_not_use_up_faults(fake: FakeCloudflare) -> None:
    fake.fail_next(500)
    answer = httpx.get(fake.base_url + f"/accounts/{fake.account_id}/magic/routes")
    assert answer.status_code == 403
    assert _raw(fake, "GET", f"/accounts/{fake.account_id}/magic/routes").status_code == 500


# -- seeding, determinism, schemas, threads ------------------------------------------------


def test_seeded_unmanaged_objects(fake: FakeCloudflare, client: cloudflare.Cloudflare) -> None:
    seeded = fake.add_tunnel(
        "ipsec_tunnels",
        id="c4a7362d577a6c3019a474fd6f485821",
        name="Hand-made tunnel",  # breaks netgen's name rule: seeds may
        cloudflare_endpoint="192.0.2.10",
        interface_address="10.200.0.0/31",
        created_on="2023-05-01T10:00:00Z",
        psk="a-hand-set-psk-0123456789abcdef0123",
    )
    fake.add_tunnel("routes", prefix="10.200.0.0/24", nexthop="10.200.0.1", priority=100)
    listed = client.magic_transit.ipsec_tunnels.list(account_id=fake.account_id).ipsec_tunnels
    assert listed is not None and listed[0].id == seeded["id"]
    assert listed[0].name == "Hand-made tunnel" and listed[0].psk_metadata is not None
    assert str(listed[0].created_on).startswith("2023-05-01")
    assert fake.psk_of(seeded["id"]) == "a-hand-set-psk-0123456789abcdef0123"
    assert len(client.magic_transit.routes.list(account_id=fake.account_id).routes or []) == 1
    assert fake.requests[0].method == "GET"  # seeding sends no request
    with pytest.raises(ValueError):
        fake.add_tunnel("tunnels", name="x")


def _session(fake: FakeCloudflare) -> list[Any]:
    client = cloudflare.Cloudflare(api_token=fake.token, base_url=fake.base_url, max_retries=0)
    acc = fake.account_id
    gre = client.magic_transit.gre_tunnels.create(account_id=acc, **GRE)
    ipsec = client.magic_transit.ipsec_tunnels.create(account_id=acc, **IPSEC)
    psk = client.magic_transit.ipsec_tunnels.psk_generate(ipsec.id, account_id=acc)
    route = client.magic_transit.routes.create(account_id=acc, **ROUTE)
    return [gre.model_dump(), ipsec.model_dump(), psk.model_dump(), route.model_dump()]


def test_answers_are_deterministic(published: dict[str, Any]) -> None:
    with FakeCloudflare() as one, FakeCloudflare() as two:
        assert _session(one) == _session(two)


def test_every_answer_validates_against_the_published_schemas(
    fake: FakeCloudflare, client: cloudflare.Cloudflare, published: dict[str, Any]
) -> None:
    acc = fake.account_id
    gre, ipsec, routes = (
        client.magic_transit.gre_tunnels.with_raw_response,
        client.magic_transit.ipsec_tunnels.with_raw_response,
        client.magic_transit.routes.with_raw_response,
    )
    answers: list[tuple[str, str | None, Any]] = []

    def keep(kind: str, op: str | None, raw: Any) -> Any:
        body = json.loads(raw.http_response.content)
        answers.append((kind, op, body))
        return body["result"]

    g = keep("gre_tunnels", "gre_tunnels_create", gre.create(account_id=acc, **GRE))
    i = keep("ipsec_tunnels", "ipsec_tunnels_create", ipsec.create(account_id=acc, **IPSEC))
    r = keep("routes", "routes_create", routes.create(account_id=acc, **ROUTE))
    keep("ipsec_tunnels", "psk_generate", ipsec.psk_generate(i["id"], account_id=acc))
    keep("gre_tunnels", "gre_tunnels_list", gre.list(account_id=acc))
    keep("ipsec_tunnels", "ipsec_tunnels_list", ipsec.list(account_id=acc))
    keep("routes", "routes_create", routes.list(account_id=acc))  # same shape as a list
    for kind, resource, obj, body in (
        ("gre_tunnels", gre, g, GRE),
        ("ipsec_tunnels", ipsec, i, IPSEC),
        ("routes", routes, r, ROUTE),
    ):
        keep(kind, None, resource.get(obj["id"], account_id=acc))
        keep(kind, None, resource.update(obj["id"], account_id=acc, **body))
        keep(kind, None, resource.delete(obj["id"], account_id=acc))

    def check(body: Any, schema: Any) -> None:
        jsonschema.Draft7Validator(schema).validate(body)

    envelope = published["gre_tunnels_list"]["response_200"]["allOf"][0]
    items = {
        "gre_tunnels": published["gre_tunnels_list"]["response_200"],
        "ipsec_tunnels": published["ipsec_tunnels_list"]["response_200"],
        "routes": published["routes_create"]["response_200"],
    }
    for kind, op, body in answers:
        check(body, envelope)
        if op is not None:
            check(body, published[op]["response_200"])
        objs = objects_in(kind, body["result"])
        assert objs or op == "psk_generate" or body["result"] == {kind: []}
        wrapped = {**body, "result": {kind: objs}}  # each object against the object schema
        check(wrapped, items[kind])
    assert len(answers) == 16 and fake.problems == []


def test_debug_mode_catches_a_broken_answer(fake: FakeCloudflare) -> None:
    fake._store._bucket(fake.account_id, "routes")["x"] = {"id": "x", "priority": "high"}
    answer = fake.handle(
        "GET",
        f"/client/v4/accounts/{fake.account_id}/magic/routes",
        {"authorization": f"Bearer {fake.token}"},
        b"",
    )
    assert answer.status == 500 and answer.headers["x-should-retry"] == "false"
    assert len(fake.problems) == 1
    with pytest.raises(AssertionError, match="break the schemas"):
        fake.assert_clean()
    fake.problems.clear()


def test_concurrent_writes_are_serialised(fake: FakeCloudflare) -> None:
    def work(n: int) -> None:
        client = cloudflare.Cloudflare(api_token=fake.token, base_url=fake.base_url)
        for k in range(5):
            prefix = f"10.{n}.{k}.0/24"
            client.magic_transit.routes.create(
                account_id=fake.account_id, prefix=prefix, nexthop="10.252.1.1", priority=100
            )

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = fake.objects("routes")
    assert len(made) == 20 and len({o["id"] for o in made}) == 20
    assert len({o["created_on"] for o in made}) == 20
    assert fake.account_id == DEFAULT_ACCOUNT and fake.count("POST", "routes") == 20
