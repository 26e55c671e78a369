"""Render device plans with sandboxed Jinja.

One environment per run; templates are compiled once and cached by Jinja. The environment is
sandboxed, undefined names fail (StrictUndefined), ``None`` can never be printed (finalize),
and the whitespace policy is fixed (trim_blocks, lstrip_blocks, trailing newline kept).
"""

from __future__ import annotations

import dataclasses
import hashlib
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from netgen.core.errors import Diagnostic, Position, UserError
from netgen.plan import model as plan_module
from netgen.plan.model import DevicePlan
from netgen.vendors.registry import VendorProfile


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """One output file, relative to the output directory."""

    path: str
    content: bytes
    secret: bool = False
    executable: bool = False
    # the same bytes already on disk (a device read back from the previous output): writers
    # may hard-link it instead of writing the content again
    source: Path | None = None


class NoneInOutputError(Exception):
    pass


def _finalize(value: Any) -> Any:
    if value is None:
        raise NoneInOutputError("a template printed None (a missing value in the device plan)")
    return value


def plan_field_table() -> dict[type, frozenset[str]]:
    """The declared fields of every plan dataclass (what templates may read directly)."""
    out: dict[type, frozenset[str]] = {}
    for obj in vars(plan_module).values():
        if isinstance(obj, type) and dataclasses.is_dataclass(obj):
            out[obj] = frozenset(f.name for f in dataclasses.fields(obj))
    return out


class PlanSandbox(SandboxedEnvironment):
    """The sandbox, with a fast path for reading fields of the plan's own dataclasses.

    Plan objects are plain data (frozen dataclasses); reading one of their declared fields is
    always safe, so it skips the sandbox's per-access safety checks, which otherwise cost more
    than the rendering itself. Everything else (methods, dunders, other objects) still goes
    through the sandbox.
    """

    def __init__(self, plan_fields: dict[type, frozenset[str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        fields_of = plan_fields.get
        sandboxed = SandboxedEnvironment.getattr
        read = getattr

        # An instance attribute, so compiled templates call a plain function (this runs
        # millions of times per fleet render).
        def fast_getattr(obj: Any, attribute: str) -> Any:
            fields = fields_of(obj.__class__)
            if fields is not None and attribute in fields:
                return read(obj, attribute)
            return sandboxed(self, obj, attribute)

        self.getattr = fast_getattr  # type: ignore[method-assign]


def make_environment(templates_root: Path) -> SandboxedEnvironment:
    """The one Jinja environment of a run. Template names are ``<vendor>/<file>``."""
    env = PlanSandbox(
        plan_field_table(),
        loader=jinja2.FileSystemLoader(str(templates_root)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
        auto_reload=False,
        cache_size=-1,
    )
    env.filters["quote"] = lambda s, q='"': f"{q}{s}{q}"
    return env


def _template_line(exc: BaseException) -> tuple[str | None, int | None]:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name, exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno
    return None, None


def _fail(exc: BaseException, template: str, device: str) -> NoReturn:
    file, line = _template_line(exc)
    raise UserError(
        [
            Diagnostic(
                "NG504",
                f"template {template} failed for device {device}: {exc}",
                position=Position(file or template, line),
                hint="fix the template (templates only format the device plan)",
            )
        ]
    ) from None


DIGEST_SENTINEL = "@@netgen-config-digest@@"


def render_with_digest(
    env: SandboxedEnvironment,
    vendor: VendorProfile,
    plan: DevicePlan,
    revealed: DevicePlan | None = None,
) -> list[RenderedFile]:
    """Render a device and stamp its header with the digest of its generated files.

    The digest covers every file of the device as rendered with PSK placeholders (and with
    the digest itself left out), so it changes exactly when the configuration does and never
    depends on a secret. ``revealed`` (the same plan with real PSKs) is rendered for output
    when given; its digest is the placeholder rendering's.
    """
    masked = render_device(env, vendor, dataclasses.replace(plan, input_digest=DIGEST_SENTINEL))
    h = hashlib.sha256()
    for f in masked:
        h.update(f.path.encode() + b"\0" + f.content + b"\0")
    digest = h.hexdigest().encode()
    if revealed is not None:
        masked = render_device(
            env, vendor, dataclasses.replace(revealed, input_digest=DIGEST_SENTINEL)
        )
    sentinel = DIGEST_SENTINEL.encode()
    return [dataclasses.replace(f, content=f.content.replace(sentinel, digest)) for f in masked]


def render_device(
    env: SandboxedEnvironment, vendor: VendorProfile, plan: DevicePlan
) -> list[RenderedFile]:
    """Every output file of one device (e.g. strongSwan: swanctl.conf and network.sh)."""
    out: list[RenderedFile] = []
    for spec in vendor.outputs:
        name = f"{vendor.id}/{spec.template}"
        try:
            text = env.get_template(name).render(plan=plan)
        except (jinja2.TemplateError, NoneInOutputError, AttributeError, TypeError) as exc:
            _fail(exc, name, plan.device)
        text = text.replace("\r\n", "\n").rstrip("\n") + "\n"
        filename = spec.filename.format(device=plan.device)
        out.append(
            RenderedFile(
                path=f"sites/{plan.site_name}/{filename}",
                content=text.encode(),
                secret=plan.secrets_revealed,
                executable=spec.executable,
            )
        )
    return out
