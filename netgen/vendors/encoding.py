"""Per-vendor encoders: the only way a string from outside reaches a config or a script.

Every string that comes from an inventory, the lock, the secrets store or a Cloudflare API
response is hostile until an encoder has accepted it for the place it is printed. A vendor
profile's ``encoding`` section names its contexts and says which context prints each field.
A context is one of two kinds:

- a *pattern* context (``pattern``, ``max_length``): the value must match the pattern entirely
  and be ASCII; for unquoted tokens such as interface names, identities and PSKs;
- a *text* context (``forbidden``, ``max_length``): printable text without the vendor's
  ``forbidden`` characters; for text inside the vendor's quotes, the rest of a line, or a
  comment.

"Printable" is :meth:`str.isprintable`: it refuses every control character (NUL, CR, LF, tab,
ESC, ...), the Unicode line and paragraph separators (U+2028, U+2029), NEL (U+0085), format
characters (bidi overrides, zero-width joiners) and unassigned code points. An encoder never
rewrites a value: a value it cannot carry is refused, and the planner reports it as NG502 at
the value's line.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FieldName = Literal[
    "wan_interface", "lan_interface", "tunnel_description", "ike_identity", "site_text", "psk"
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatternContext(_Model):
    """Values must match ``pattern`` entirely (ASCII only)."""

    pattern: str
    max_length: int = Field(ge=1)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"pattern does not compile: {exc}") from None
        return value


class TextContext(_Model):
    """Printable text without ``forbidden`` characters."""

    forbidden: str = ""
    max_length: int = Field(ge=1)


Context = PatternContext | TextContext


class FieldContexts(_Model):
    """Which context prints each outside string (every field must be declared)."""

    wan_interface: str
    lan_interface: str
    tunnel_description: str
    ike_identity: str
    site_text: str
    psk: str


class EncodingProfile(_Model):
    """The ``encoding`` section of a vendor profile: named contexts, and a context per field."""

    contexts: dict[str, Context]
    fields: FieldContexts

    @model_validator(mode="after")
    def _fields_use_known_contexts(self) -> EncodingProfile:
        for name, context in self.fields:
            if context not in self.contexts:
                known = ", ".join(sorted(self.contexts))
                raise ValueError(f"fields.{name} uses unknown context {context!r} ({known})")
        return self


@functools.lru_cache(maxsize=64)
def _full(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


def _shown(chars: set[str]) -> str:
    return ", ".join(repr(c) for c in sorted(chars))


def pattern_problem(ctx: PatternContext, value: str, display: str) -> str | None:
    """Why ``value`` is not a whole match of the context's pattern, or None."""
    if len(value) > ctx.max_length:
        return f"is longer than {ctx.max_length} characters"
    if not value:
        return "is empty"
    if _full(ctx.pattern).fullmatch(value) and value.isascii():
        return None
    odd = {c for c in value if not c.isprintable()}
    if odd:
        return f"contains {_shown(odd)}, which {display} cannot carry"
    return f"does not match {ctx.pattern} (what {display} accepts here)"


def text_problem(ctx: TextContext, value: str, display: str) -> str | None:
    """Why ``value`` cannot be printed as text in this context, or None."""
    if len(value) > ctx.max_length:
        return f"is longer than {ctx.max_length} characters"
    if value.isprintable() and not any(c in ctx.forbidden for c in value):
        return None
    bad = {c for c in value if not c.isprintable() or c in ctx.forbidden}
    return f"contains {_shown(bad)}, which {display} syntax cannot carry safely"


def problem(profile: EncodingProfile, field: FieldName, value: str, display: str) -> str | None:
    """Why ``value`` cannot be printed as ``field`` by this vendor, or None."""
    ctx = profile.contexts[getattr(profile.fields, field)]
    if isinstance(ctx, PatternContext):
        return pattern_problem(ctx, value, display)
    return text_problem(ctx, value, display)
