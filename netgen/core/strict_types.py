"""Pydantic types that take a YAML value only as what it was written as.

YAML reads an unquoted true/false/yes/no/on/off as a bool, and a bool is an int: pydantic's lax
mode would take ``mtu: true`` as MTU 1, and ipaddress takes ints, so ``address: true`` would be
0.0.0.1 (and Python warns "__int__ returned non-int"). These types refuse a bool first, and an
IPv4 type refuses a plain int and bytes too, with pydantic errors that
:func:`netgen.core.validation.diagnostics_from_validation` turns into NG203 (the inventory) or
the lock's NG402, with a hint about YAML booleans. Other lax coercions stay: ``"1400"`` and
``1400.0`` are the int 1400. Shared by the inventory schema and the lock.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError


def yaml_boolean_error(expected: str, example: str) -> PydanticCustomError:
    """The error for a bool where ``expected`` (e.g. "a whole number") belongs; its type
    ``yaml_boolean`` and context give the hint (netgen.core.validation)."""
    return PydanticCustomError(
        "yaml_boolean",
        "Input should be {expected}, not a boolean",
        {"expected": expected, "example": example},
    )


def refuse_bool(expected: str) -> BeforeValidator:
    """A validator, run before the type's own, that refuses a bool as :func:`yaml_boolean_error`."""

    def check(value: object) -> object:
        if isinstance(value, bool):
            raise yaml_boolean_error(expected, "")
        return value

    return BeforeValidator(check)


def ipv4_text(kind: str, what: str, example: str) -> BeforeValidator:
    """Refuse a bool, an int and bytes where an IPv4 value is expected: ipaddress reads
    ``3405803786`` as 203.0.113.10 and four bytes (YAML's ``!!binary wKgBAQ==``) as
    192.168.1.1, never what an engineer meant. The int and bytes error has pydantic's own type
    and text, so it reads and is hinted like any bad address."""

    def check(value: object) -> object:
        if isinstance(value, bool):
            raise yaml_boolean_error(f"an IPv4 {what}", example)
        if isinstance(value, int | bytes):
            raise PydanticCustomError(kind, f"Input is not a valid IPv4 {what}")
        return value

    return BeforeValidator(check)


NOT_BOOL = refuse_bool("a whole number")
# bounds go inside, before NOT_BOOL: outside it they would not reach the JSON schema as
# minimum/maximum (schema/inventory.schema.json)
Integer = Annotated[int, NOT_BOOL]
Address = Annotated[IPv4Address, ipv4_text("ip_v4_address", "address", "203.0.113.10")]
Network = Annotated[IPv4Network, ipv4_text("ip_v4_network", "network", "10.10.0.0/16")]
Interface = Annotated[IPv4Interface, ipv4_text("ip_v4_interface", "interface", "10.252.0.0/31")]
