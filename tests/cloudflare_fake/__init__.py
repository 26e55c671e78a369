"""A stateful fake of Cloudflare's Magic tunnel and route API, for netgen pull / apply tests.

Real HTTP on 127.0.0.1 (a port of its own), driven by the official SDK (``cloudflare`` 5.x)
exactly as netgen drives the real API; nothing leaves the loopback interface::

    from tests.cloudflare_fake import FakeCloudflare

    with FakeCloudflare() as fake:                      # token DEFAULT_TOKEN, one account
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.base_url)  # http://127.0.0.1:P/client/v4
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", fake.token)
        fake.add_tunnel("ipsec_tunnels", name="legacy", cloudflare_endpoint="192.0.2.1",
                        interface_address="10.9.0.0/31")          # an unmanaged tunnel
        fake.fail_after(2, 500, times=6)   # the 3rd write fails for good (SDK retries 5 times)
        ... run netgen against fake.account_id ...
        assert [r.method for r in fake.writes()] == [...]
        assert fake.objects("gre_tunnels") == [...]
    # leaving the block stops the server and fails if any answer broke the schemas

What the SDK sends and expects (checked in ``cloudflare`` 5.9 source; the SDK joins
``base_url`` + path, so the fake serves everything under ``/client/v4``; auth is
``Authorization: Bearer <token>``; every answer is the envelope
``{"success", "errors", "messages", "result"}`` and the SDK returns ``result`` parsed)::

    <kind> = gre_tunnels | ipsec_tunnels | routes; <one> = gre_tunnel | ipsec_tunnel | route
    create  POST   /accounts/{a}/magic/<kind>        body: one object  -> result: the object
    list    GET    /accounts/{a}/magic/<kind>                          -> {"<kind>": [...]}
    get     GET    /accounts/{a}/magic/<kind>/{id}                     -> {"<one>": {...}}
    update  PUT    /accounts/{a}/magic/<kind>/{id}   body: one object  -> {"modified": true,
                                                                 "modified_<one>": {...}}
    delete  DELETE /accounts/{a}/magic/<kind>/{id}   no body          -> {"deleted": true,
                                                                 "deleted_<one>": {...}}
    psk     POST   /accounts/{a}/magic/ipsec_tunnels/{id}/psk_generate  (no body)
            -> {"ipsec_id", "ipsec_tunnel_id", "psk", "psk_metadata": {"last_generated_on"}}

Create and update bodies carry only the keyword arguments given (omitted ones are not sent;
``None`` is sent as ``null``, which the schemas refuse: 400). ``?validate_only=true`` (SDK:
``extra_query``) validates and answers without storing anything. Bulk PUT/DELETE on a
collection and PATCH answer 405 (not faked).

Objects as answered: what was sent (known fields only; ``psk`` is write-only) plus ``id`` (32
hex), ``created_on`` / ``modified_on`` (``2024-01-01T00:00:01Z``, one second per change) and,
with ``fill_defaults`` (on by default), Cloudflare's defaults: GRE ``mtu`` 1476, ``ttl`` 64;
IPsec ``replay_protection`` and ``allow_null_cipher`` false; tunnels' ``health_check``
``{enabled: true, type: reply, rate: mid, direction: unidirectional}`` merged under what was
sent. IPsec objects carry ``remote_identities`` (not in the SDK model: read it from
``model_extra``): ``fqdn_id`` ``<id>.<account>.ipsec.cloudflare.com``, ``user_id``
``ipsec@<id>.<account>.ipsec.cloudflare.com``, ``hex_id`` ``<account>_<id>``; and
``psk_metadata`` once a PSK was set or generated. PUT replaces the fields it carries and keeps
omitted optional ones. Generated PSKs look like ``FAKE-PSK-0003-<32 hex>``.

Errors (``{"success": false, "errors": [{"code", "message"}], "messages": [], "result": null}``;
the SDK raises the ``APIStatusError`` subclass of the status, with ``.errors[i].code``):

    403 10000 wrong or missing token         403 9109 account not in ``accounts``
    400 1001  body breaks the schemas or the rules in :mod:`tests.cloudflare_fake.store`
    400 1003  tunnel name taken (GRE and IPsec share one namespace)
    404 1002  no such object                  404 7000 unknown path    405 7001 method
    429 971   injected rate limit (``Retry-After: 0`` and ``retry-after-ms``)
    5xx 1000  injected server error (``retry-after-ms``)
    500 1099  the fake's own answer broke the schemas (debug; ``x-should-retry: false``)

The SDK retries 408, 409, 429 and 5xx ``max_retries`` times. It ignores ``Retry-After: 0``
(only 0 < value <= 60 counts) and would back off 0.5-8 s; it honours ``retry-after-ms``, which
the fake sends (1 ms by default, ``retry_after_ms``) so retries cost no time.

Schemas: bodies and answers are checked against Cloudflare's published schemas (see
:mod:`tests.cloudflare_fake.schemas`); the published create answer describes the old bulk form
(``result.<kind>[]``) while the SDK 5.x gets one object, so objects are checked one by one.

:class:`FakeCloudflare` API: ``FakeCloudflare(token=DEFAULT_TOKEN, *, accounts=(DEFAULT_ACCOUNT,),
schema_file=None, debug=True, fill_defaults=True, retry_after_ms=1)``; ``start()``, ``stop()``,
context manager, ``base_url``, ``token``, ``account_id``; ``requests`` (list of
:class:`Recorded`: method, path, body, query, kind, action, status), ``writes()``,
``count(method, kind)``, ``clear_requests()``; ``fail_next(status, times=1, on=None, kind=None,
headers=None)``, ``fail_after(n_writes, status, times=1)``; ``add_tunnel(kind, account_id=None,
**fields)``, ``objects(kind, account_id=None)``, ``psk_of(tunnel_id, account_id=None)``;
``problems`` and ``assert_clean()``; ``handle(method, path, headers, body)`` answers one
request without HTTP.
"""

from tests.cloudflare_fake.server import DEFAULT_ACCOUNT, DEFAULT_TOKEN, FakeCloudflare, Recorded

__all__ = ["DEFAULT_ACCOUNT", "DEFAULT_TOKEN", "FakeCloudflare", "Recorded"]
