"""Clean `--help` screens: flags show no ``<bool>``, arguments show their names (``INVENTORY``,
``CONFIG...``) instead of types, and the usage line uses click's plain ``[INVENTORY]`` form
rather than typer's ``{inventory}``."""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

# typer vendors its own click: its Parameter and Context types are not the click package's
Params = list[Any]


def _usage(param: TyperArgument) -> str:
    name = param.metavar or (param.name or "ARG").upper()
    if param.nargs != 1 and not name.endswith(("...", "]")):
        name += "..."
    return name if param.required or name.startswith("[") else f"[{name}]"


def _no_type(ctx: Any) -> None:
    return None


def _pieces(usage: str) -> Any:
    def pieces(ctx: Any) -> list[str]:
        return [usage]

    return pieces


def tidy(params: Params) -> Params:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
        elif isinstance(param, TyperArgument):
            usage = _usage(param)
            param.display_type_rich = _no_type  # type: ignore[method-assign]
            param.get_usage_pieces = _pieces(usage)  # type: ignore[method-assign]
    return params


class NetgenCommand(TyperCommand):
    def get_params(self, ctx: Any) -> Params:
        return tidy(super().get_params(ctx))


class NetgenGroup(TyperGroup):
    def get_params(self, ctx: Any) -> Params:
        return tidy(super().get_params(ctx))
