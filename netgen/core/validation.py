"""Turn pydantic validation errors into positioned diagnostics."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from netgen.core.documents import PathKey, PositionIndex
from netgen.core.errors import Diagnostic, shown


def dotted(path: PathKey) -> str:
    """``("sites", 0, "name")`` → ``sites[0].name``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_at(root: type[BaseModel], loc: PathKey) -> type[BaseModel] | None:
    """The model class that owns the mapping at ``loc`` (best effort, for key suggestions)."""
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        model = _unwrap(info.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Find a BaseModel inside ``X | None``, ``list[X]`` and friends."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _unwrap(arg)
        if found is not None:
            return found
    return None


def _clean_loc(loc: tuple[Any, ...]) -> PathKey:
    # pydantic adds union-branch tags (e.g. "CustomCryptoIn", "literal[...]") to loc: drop them
    return tuple(p for p in loc if isinstance(p, int) or not _is_tag(str(p)))


def _is_tag(part: str) -> bool:
    return part[:1].isupper() or part.startswith(("literal[", "function-", "lax-", "json-"))


def diagnostics_from_validation(
    exc: ValidationError, index: PositionIndex, root: type[BaseModel]
) -> list[Diagnostic]:
    """One diagnostic per pydantic error, positioned through ``index``."""
    out: list[Diagnostic] = []
    seen: set[PathKey] = set()
    for err in exc.errors(include_url=False):
        loc = _clean_loc(tuple(err["loc"]))
        kind = err["type"]
        if kind != "extra_forbidden" and loc in seen:
            continue  # one message per field (unions produce one error per branch)
        seen.add(loc)
        field = dotted(index.local_path(loc))
        pos = index.position(loc)
        if kind == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            owner = _model_at(root, loc[:-1])
            choices = sorted(owner.model_fields) if owner else []
            close = difflib.get_close_matches(key, choices, n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else (f"allowed keys: {', '.join(choices)}" if choices else "remove the key")
            )
            where = dotted(index.local_path(loc[:-1])) or "top level"
            out.append(
                Diagnostic(
                    "NG201", f"unknown key {key!r} in {where}", position=pos, hint=hint, field=field
                )
            )
        elif kind == "missing":
            out.append(
                Diagnostic(
                    "NG202",
                    f"missing required field {field!r}",
                    position=pos,
                    hint=f"add '{loc[-1]}:'",
                    field=field,
                )
            )
        else:
            value = err.get("input")
            msg = f"invalid value for {field}: {err['msg']}"
            if _is_secret(loc):
                msg += " (value not shown: it may be a secret)"
            elif isinstance(value, str):
                msg += f" (got {shown(value)})"
            elif isinstance(value, bool):  # as YAML and JSON spell it
                msg += f" (got {'true' if value else 'false'})"
            elif isinstance(value, int | float):
                msg += f" (got {value!r})"
            value_hint = SECRET_HINT if _is_secret(loc) else _hint_for(kind, err.get("ctx"), value)
            out.append(Diagnostic("NG203", msg, position=pos, hint=value_hint, field=field))
    return out


SECRET_KEYS = frozenset({"psk", "secret", "token", "password"})
SECRET_HINT = (
    "never write a PSK into the inventory: keep it in the secrets store (netgen secrets set), "
    "or write psk: {env: VARIABLE} or psk: {file: PATH}"
)


def _is_secret(loc: PathKey) -> bool:
    """Values under a key such as ``psk`` are never echoed in a message."""
    return any(isinstance(part, str) and part in SECRET_KEYS for part in loc)


YAML_BOOLEANS = "YAML reads an unquoted true, false, yes, no, on or off as a boolean"


def _hint_for(kind: str, ctx: dict[str, Any] | None, value: object) -> str | None:
    if kind == "yaml_boolean" and ctx:  # raised by the inventory schema's int and IPv4 types
        example = f" such as {ctx['example']}" if ctx.get("example") else ""
        return f"write {ctx['expected']}{example}; {YAML_BOOLEANS}"
    if kind == "string_type" and isinstance(value, bool):  # e.g. `name: on`
        return f"quote it if it is text; {YAML_BOOLEANS}"
    hints = {
        "string_pattern_mismatch": (
            "use letters, digits, '.', '_' and '-' (start with a letter or digit)"
        ),
        "ip_v4_address": "write a dotted IPv4 address such as 203.0.113.10",
        "ip_v4_network": "write a network such as 10.10.0.0/16 (no host bits)",
        "ip_v4_interface": "write an address with prefix length such as 10.252.0.0/31",
        "literal_error": "use one of the listed values",
        "too_short": "add at least one entry",
    }
    return hints.get(kind)
