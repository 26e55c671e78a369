"""The lock's objects built as their constructors build them, without their per-call overhead,
and equal values shared (:class:`Shared`): a fleet's lock holds hundreds of thousands of them.

Sharing is safe because the lock's models are frozen (:class:`netgen.state.lock._LockModel`):
nothing changes a model, its fields-set or its values in place; a changed tunnel is a new
model (``model_copy(update=...)`` copies the fields-set it extends).
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any, TypeVar

from pydantic import BaseModel

_M = TypeVar("_M", bound=BaseModel)


class Shared:
    """One object for each value that recurs in one lock: names, types and timestamps, the
    endpoint addresses, and each shape of fields-set (a set per model costs more than the
    model's values)."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._sets: dict[frozenset[str], set[str]] = {}
        self._addresses: dict[str, IPv4Address] = {}

    def text(self, value: str | None) -> str | None:
        return None if value is None else self._texts.setdefault(value, value)

    def fields(self, keys: Iterable[str]) -> set[str]:
        shape = frozenset(keys)
        found = self._sets.get(shape)
        if found is None:
            found = self._sets[shape] = set(shape)
        return found

    def address(self, value: str | None) -> IPv4Address | None:
        if value is None:
            return None
        found = self._addresses.get(value)
        if found is None:
            found = self._addresses[value] = IPv4Address(value)
        return found


def model(cls: type[_M], values: dict[str, Any], fields_set: set[str]) -> _M:
    """``cls`` holding ``values`` (every field, in order) as validation builds it, without
    model_construct's per-field lookups. These models have no private attributes, extras or
    post-init hook (the tests pin that): an instance is pydantic's four slots."""
    built = cls.__new__(cls)
    _set_dict(built, values)
    _set_fields_set(built, fields_set)
    _set_extra(built, None)
    _set_private(built, None)
    return built


_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def interface(address: int, prefixlen: int) -> IPv4Interface:
    """``IPv4Interface((address, prefixlen))`` for a /31 or /30 at a third of the cost: what
    CPython's ``__init__`` sets, in the same attributes (the tests compare the two)."""
    netmask, mask = _NETMASKS[prefixlen]
    first = IPv4Address.__new__(IPv4Address)
    _set_ip(first, address & mask)
    network = IPv4Network.__new__(IPv4Network)
    attributes = {"network_address": first, "netmask": netmask, "_prefixlen": prefixlen}
    if prefixlen == 31:  # RFC 3021: both addresses of a /31 are hosts
        attributes["hosts"] = network.__iter__
    _set_network_dict(network, attributes)
    built = IPv4Interface.__new__(IPv4Interface)
    _set_ip(built, address)
    attributes = {"network": network, "netmask": netmask, "_prefixlen": prefixlen}
    _set_interface_dict(built, attributes)
    return built


_NETMASKS = {n: (IPv4Network((0, n)).netmask, int(IPv4Network((0, n)).netmask)) for n in (30, 31)}
_set_ip = IPv4Address.__dict__["_ip"].__set__
_set_network_dict = IPv4Network.__dict__["__dict__"].__set__
_set_interface_dict = IPv4Interface.__dict__["__dict__"].__set__
