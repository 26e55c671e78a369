"""Data of ``netgen lint``: findings, inventory expectations and the neutral "tunnel facts".

Each vendor parser turns config text into :class:`ConfigFacts` (per tunnel: peer, identities,
IKE version, initiator, proposals, PFS, DPD, anti-replay, interface address, MTU, MSS; plus the
objects the config defines and references, each with its line). The engine runs the common
checks over those facts, so a rule is written once for all four vendors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from netgen.cloudflare.addressing import tunnel_sides
from netgen.inventory.model import Inventory
from netgen.plan.identity import local_identity
from netgen.state.allocate import Allocation

T = TypeVar("T")


class Severity(StrEnum):
    """How bad a finding is; only errors make ``netgen lint`` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a config, at ``file:line``, with a rule id from the catalogue."""

    rule: str
    severity: Severity
    message: str
    file: str
    line: int
    hint: str | None = None

    def format(self) -> str:
        """``file:line: error CF004: message (hint: ...)``, like netgen's diagnostics."""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{self.file}:{self.line}: {self.severity.value} {self.rule}: {self.message}{hint}"

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class LintResult:
    """Every finding of one lint run, sorted by file, line and rule."""

    vendor: str
    files: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings and infos do not fail a lint)."""
        return not self.errors

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "files": list(self.files),
            "ok": self.ok,
            "counts": {s.value: sum(f.severity is s for f in self.findings) for s in Severity},
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class TunnelExpectation:
    """What the inventory/plan says about one tunnel (built by the caller, e.g. from a lock).

    ``local_id`` is the identity string the router must send (fqdn_id, user_id, hex_id or the
    WAN address); None skips the identity check. ``device`` (optional) limits the "missing
    tunnel" warning to the devices whose tunnels were found in the config.
    """

    name: str
    endpoint_address: str
    customer_address: str
    cloudflare_address: str
    prefixlen: int
    local_id: str | None
    tunnel_type: str  # ipsec | gre
    replay_protection: bool = False
    device: str | None = None


def expectations_for(inv: Inventory, allocation: Allocation) -> list[TunnelExpectation]:
    """Every tunnel of a planned inventory (its allocation) as an expectation.

    Local identities come from the lock (``netgen import``); one not imported yet is None, which
    skips the identity check for that tunnel.
    """
    out = []
    for name, tunnel in sorted(inv.tunnels.items()):
        assignment = allocation.assignments.get(name)
        endpoint = inv.endpoint(tunnel.endpoint)
        if assignment is None or endpoint is None:
            continue
        sides = tunnel_sides(assignment.interface_address)
        device = next((d for d in inv.devices() if d.name == tunnel.device), None)
        link = device.wan_link(tunnel.wan) if device else None
        local_id = local_identity(allocation.lock, tunnel, link)
        out.append(
            TunnelExpectation(
                name=name,
                endpoint_address=str(endpoint.address),
                customer_address=str(sides.customer),
                cloudflare_address=str(sides.cloudflare),
                prefixlen=sides.prefixlen,
                local_id=local_id,
                tunnel_type=tunnel.settings.tunnel_type,
                replay_protection=tunnel.settings.replay_protection,
                device=tunnel.device,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Source:
    """One config file given to the linter."""

    file: str
    text: str


@dataclass(frozen=True, slots=True)
class Loc:
    """A line in a source file (1-based)."""

    file: str
    line: int


@dataclass(frozen=True, slots=True)
class At(Generic[T]):
    """A value read from a config, where it was read, and the vendor's own words for it."""

    value: T
    loc: Loc
    text: str = ""


@dataclass(frozen=True, slots=True)
class Algo:
    """One algorithm of a proposal in neutral tokens (see netgen.cloudflare.crypto).

    ``kind`` is encryption | integrity | prf | dh | esn; ``token`` the neutral name (e.g.
    ``aes-256-gcm``, ``sha256``, ``20``) or, for algorithms netgen has no name for, the vendor
    keyword as written. ``text`` is the vendor keyword for messages.
    """

    kind: str
    token: str
    loc: Loc
    text: str


@dataclass(frozen=True, slots=True)
class Proposal:
    name: str
    loc: Loc
    algos: tuple[Algo, ...]


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference from one object to another by name (``kind`` e.g. ``ike proposal``)."""

    kind: str
    name: str
    loc: Loc


# facts a dangling reference can make unknowable; checks skip fields listed in ``unknown``
IKE_FIELDS = frozenset(
    {"ike_version", "ike_proposals", "local_id", "remote_id", "dpd", "auth", "initiate"}
)
ESP_FIELDS = frozenset({"esp_proposals", "pfs", "replay"})


@dataclass
class TunnelFacts:
    """Everything the checks need about one tunnel, in neutral form.

    A field left None was not found; parsers resolve vendor defaults themselves (e.g. a Junos
    gateway without ``version`` is IKEv1) and anchor such values at the owning object's line.
    """

    name: str
    loc: Loc
    kind: At[str] | None = None  # ipsec | gre
    labels: tuple[str, ...] = ()  # object names tied to this tunnel (inventory matching)
    peer: At[str] | None = None
    local_id: At[str] | None = None
    remote_id: At[str] | None = None
    ike_version: At[str] | None = None  # "1" | "2" | "any"
    initiate: At[bool] | None = None
    auth: At[str] | None = None  # psk | other vendor keyword
    ike_anchor: Loc | None = None
    ike_proposals: list[Proposal] = field(default_factory=list)
    esp_anchor: Loc | None = None
    esp_proposals: list[Proposal] = field(default_factory=list)
    pfs: At[str] | None = None  # DH group number as text, or "none"
    dpd: At[str] | None = None  # restart | enabled (no action knob) | clear | hold | none ...
    replay: At[bool] | None = None  # True: anti-replay is ON at the router
    address: At[str] | None = None  # router's tunnel address, e.g. 10.252.0.1/31
    mtu: At[int] | None = None
    mss: At[int] | None = None
    interface_loc: Loc | None = None  # where the tunnel interface is (missing MTU/MSS/address)
    iface: str = ""  # the tunnel interface, for messages (e.g. "interface st0.0")
    unknown: set[str] = field(default_factory=set)

    def knows(self, name: str) -> bool:
        return name not in self.unknown

    @property
    def is_ipsec(self) -> bool:
        return self.kind is not None and self.kind.value == "ipsec"

    @property
    def is_gre(self) -> bool:
        return self.kind is not None and self.kind.value == "gre"


@dataclass
class ConfigFacts:
    """A parsed config: its tunnels, defined and referenced objects, and parser findings."""

    tunnels: list[TunnelFacts] = field(default_factory=list)
    defined: dict[tuple[str, str], Loc] = field(default_factory=dict)
    references: list[Ref] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    first_loc: Loc | None = None  # line 1 of the first file (set by the engine)

    def define(self, kind: str, name: str, loc: Loc) -> None:
        self.defined.setdefault((kind, name), loc)

    def refer(self, kind: str, name: str, loc: Loc) -> bool:
        """Record a reference; True when the object is defined (so far: call after parsing)."""
        self.references.append(Ref(kind, name, loc))
        return (kind, name) in self.defined
