"""The vendor registry: ``vendors/<id>.yaml`` profiles, validated like user input.

A vendor is data (this profile) plus templates (``templates/<id>/``). Adding a vendor needs
no change to core modules: the registry discovers every profile in the directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from netgen.core.documents import PathKey, PositionIndex, load_yaml_file
from netgen.core.errors import Diagnostic, Position, UserError
from netgen.core.resources import data_dir
from netgen.core.validation import diagnostics_from_validation
from netgen.vendors import encoding
from netgen.vendors.encoding import EncodingProfile, FieldName

Capability = Literal[
    "ipsec",
    "gre",
    "nat_t",
    "ecmp",
    "replay_protection",
    "legacy_health_check_target",
    "local_id_fqdn",
    "local_id_user",
    "local_id_hex",
    "local_id_ipv4",
    "multi_wan",
    "policy_routing",
]
ALL_CAPABILITIES: tuple[str, ...] = Capability.__args__  # type: ignore[attr-defined]


class _Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InterfaceNaming(_Profile):
    """``format`` gets ``number`` = ``base`` + the tunnel's device-local index."""

    format: Annotated[str, Field(pattern=r"\{number\}")]
    base: int = Field(ge=0)


class OutputFile(_Profile):
    template: str
    filename: Annotated[str, Field(pattern=r"\{device\}")]
    executable: bool = False


class KeywordMaps(_Profile):
    """Neutral tokens (cloudflare.facts) → the vendor's keywords. Missing = cannot express."""

    ike_encryption: dict[str, str]
    ike_integrity: dict[str, str]
    ike_prf: dict[str, str]
    dh_group: dict[int, str]
    esp_encryption: dict[str, str]
    esp_integrity: dict[str, str]
    pfs_group: dict[int, str]
    local_id_type: dict[str, str]


class LintProfile(_Profile):
    """How ``netgen lint`` reads this vendor's configs: a syntax family of
    :mod:`netgen.lint.syntax`, and the rule fixes phrased in this vendor's terms."""

    syntax: Literal["ios", "junos_set", "vyos_set", "swanctl"]
    fixes: dict[Annotated[str, Field(pattern=r"^CF[0-9]{3}$")], str] = Field(default_factory=dict)


class RemediationProfile(_Profile):
    """How ``netgen diff`` turns one config of this vendor into another (netgen/remediate/).

    ``engine``: ``hier_config`` (hierarchical CLI applied line by line, e.g. IOS-XE: hier_config
    computes the commands, netgen orders them), ``set_commands`` (flat ``set`` lines applied in
    one commit, e.g. Junos and VyOS: netgen computes ``delete``/``set`` per object) or
    ``strongswan`` (swanctl steps and a removal script). Regexes below match one config line
    (IOS: a top-level line, or ``parent child`` for a child); ``{name}`` is replaced by the
    alternation of the values of capture ``name`` (see ``captures``).
    """

    engine: Literal["hier_config", "set_commands", "strongswan"]
    # hier_config's Platform member (hier_config 3.x names: CISCO_IOS, JUNIPER_JUNOS, VYOS)
    hier_config_platform: str | None = None
    # file extension of the remediation and rollback files
    extension: str
    # hier_config engine: top-level objects netgen may remove outright (others lose only the
    # children netgen set); removals by dependency: `remove_first` (before anything is added,
    # in this order) and `remove_last` (after the additions that stop referencing them)
    remove_first: list[str] = Field(default_factory=list)
    remove_last: list[str] = Field(default_factory=list)
    # sections netgen adds lines to but does not own (the LAN interface that carries its
    # route-map): never removed as a whole, only the lines netgen set
    shared: list[str] = Field(default_factory=list)
    # sections whose children's order matters (a proposal list): a new order is a change
    ordered: list[str] = Field(default_factory=list)
    # set_commands engine: the objects netgen owns, as word patterns (`*` = any one word,
    # `CF-*` = a word starting CF-); a changed object is deleted and set again in one commit
    objects: list[str] = Field(default_factory=list)
    # set_commands engine: leaves (single values) deleted without their value
    leaves: list[str] = Field(default_factory=list)
    # `--running`: which lines of a running config are netgen's (besides the objects the
    # intended config has); `captures` collect values (group 1) in order, from the running and
    # the intended config; a capture named `*_peers` holds the other address of each /31
    owned: list[str] = Field(default_factory=list)
    captures: dict[str, str] = Field(default_factory=dict)
    # `--running`: lines that carry a secret, as (prefix)(value); the value of a running config
    # is never shown (the intended line's placeholder stands for it: PSKs are not compared)
    secret_lines: list[str] = Field(default_factory=list)


class HandoffCheck(_Profile):
    """A command for the technician and what good output looks like. Placeholders: {tunnel},
    {interface}, {endpoint_address}, {cloudflare_address}, {customer_address},
    {wan_interface}, {wan_address} (as Cloudflare sees it), {wan_own_address} (as the router has
    it: behind NAT, its private address), {wan_gateway}; a check naming a tunnel placeholder is
    repeated per tunnel (``ipsec_only``: only for IPsec tunnels)."""

    command: str
    expect: str
    ipsec_only: bool = False


class TroubleshootingRow(_Profile):
    symptom: str
    cause: str
    check: str


class HandoffProfile(_Profile):
    """What `netgen handoff` tells the field technician for this vendor (docs/handoff.md)."""

    # how the config is applied (one short paragraph: config mode, commit, save)
    apply: str
    prechecks: list[HandoffCheck]
    # the `verification` commands with what good output looks like
    verification: list[HandoffCheck]
    troubleshooting: list[TroubleshootingRow]


class VendorProfile(_Profile):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    display_name: str
    platform_versions: Annotated[list[str], Field(min_length=1)]
    default_version: str
    tested_versions: list[str] = Field(default_factory=list)
    capabilities: list[Capability]
    comment_prefix: str
    outputs: Annotated[list[OutputFile], Field(min_length=1)]
    interfaces: dict[Literal["ipsec", "gre"], InterfaceNaming]
    keywords: KeywordMaps
    local_id_format: dict[Literal["fqdn", "user", "hex", "ipv4"], str] = Field(default_factory=dict)
    psk_placeholder: Annotated[str, Field(pattern=r"\{tunnel\}")] = "<redacted:psk:{tunnel}>"
    encoding: EncodingProfile
    verification: list[str] = Field(default_factory=list)
    # value ranges the vendor accepts, where they are narrower than Cloudflare's rules:
    # dpd_interval (seconds; outside = NG501) and dpd_threshold (probes; clamped)
    limits: dict[Literal["dpd_interval", "dpd_threshold"], tuple[int, int]] = Field(
        default_factory=dict
    )
    remediation: RemediationProfile
    handoff: HandoffProfile | None = None
    # Cloudflare's health-check type for this vendor's tunnels when the inventory does not set
    # one: `request` for stateful firewalls (Cloudflare's advice; its SRX guide uses it)
    health_check_type: Literal["reply", "request"] | None = None
    # True: with tunnels over more than one WAN link, each link needs its `gateway` (the
    # per-link source routing that keeps a tunnel on its own ISP is built from it)
    multi_wan_needs_gateway: bool = False
    # None: `netgen lint` does not cover this vendor (it still renders)
    lint: LintProfile | None = None
    path: str = ""

    def settings_defaults(self) -> dict[str, Any]:
        """Tunnel settings this vendor changes from Cloudflare's defaults (a settings layer
        below the inventory's own ``defaults``)."""
        if self.health_check_type is None:
            return {}
        return {"health_check": {"type": self.health_check_type}}

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def resolve_version(self, requested: str | None) -> str | None:
        """The supported version ``requested`` maps to (``17.9.4`` → ``17.9``), else None."""
        if requested is None:
            return self.default_version
        for v in sorted(self.platform_versions, key=len, reverse=True):
            if requested == v or requested.startswith(v + "."):
                return v
        return None

    def interface(self, tunnel_type: str, index: int) -> tuple[int, str] | None:
        """(number, name) of the tunnel interface for a tunnel's device-local ``index``:
        ``number`` = the naming's ``base`` + ``index``; None if the vendor has no naming for
        the tunnel type (the tunnel type is then refused by its capability gate)."""
        naming = self.interfaces.get(tunnel_type)  # type: ignore[call-overload]
        if naming is None:
            return None
        number = naming.base + index
        return number, naming.format.format(number=number)

    def interface_name(self, tunnel_type: str, index: int) -> str:
        found = self.interface(tunnel_type, index)
        return found[1] if found else f"<no-{tunnel_type}>"

    def encode_problem(self, field: FieldName, value: str) -> str | None:
        """Why ``value`` cannot be printed as ``field`` in this vendor's output, or None."""
        return encoding.problem(self.encoding, field, value, self.display_name)


@dataclass(frozen=True, slots=True)
class ChoiceProblem:
    """Why a device's ``vendor`` / ``platform_version`` cannot be used (NG507, NG505)."""

    code: str
    key: str  # the device key the problem is about: "vendor" or "platform_version"
    message: str
    hint: str

    def diagnostic(self, index: PositionIndex, device_path: PathKey) -> Diagnostic:
        position = index.position((*device_path, self.key))
        return Diagnostic(self.code, self.message, position=position, hint=self.hint)


@dataclass(frozen=True)
class Registry:
    vendors: dict[str, VendorProfile]
    templates_root: Path

    def get(self, vendor_id: str) -> VendorProfile | None:
        return self.vendors.get(vendor_id)

    def ids(self) -> list[str]:
        return sorted(self.vendors)

    def choose(
        self, vendor_id: str, version: str | None
    ) -> tuple[VendorProfile, str] | ChoiceProblem:
        """A device's vendor profile and supported platform version (``None``: the default),
        or why there is none."""
        vendor = self.vendors.get(vendor_id)
        if vendor is None:
            return ChoiceProblem(
                "NG507",
                "vendor",
                f"unknown vendor {vendor_id!r}",
                "one of: " + ", ".join(self.ids()),
            )
        resolved = vendor.resolve_version(version)
        if resolved is None:
            return ChoiceProblem(
                "NG505",
                "platform_version",
                f"{vendor.display_name} {version} is not supported",
                "supported: " + ", ".join(vendor.platform_versions),
            )
        return vendor, resolved


def load_registry(vendors_dir: Path | None = None, templates_dir: Path | None = None) -> Registry:
    """Read and validate every ``*.yaml`` profile; all problems reported at once (NG506)."""
    vdir = vendors_dir or data_dir("vendors")
    tdir = templates_dir or data_dir("templates")
    vendors: dict[str, VendorProfile] = {}
    diags: list[Diagnostic] = []
    for path in sorted(vdir.glob("*.yaml")):
        doc = load_yaml_file(path)
        try:
            profile = VendorProfile.model_validate({**(doc.data or {}), "path": str(path)})
        except ValidationError as exc:
            for d in diagnostics_from_validation(exc, doc.index, VendorProfile):
                diags.append(
                    Diagnostic(
                        "NG506",
                        f"vendor profile: {d.message}",
                        position=d.position,
                        hint=d.hint,
                        field=d.field,
                    )
                )
            continue
        diags.extend(_profile_problems(profile, path, tdir))
        vendors[profile.id] = profile
    if diags:
        raise UserError(diags)
    return Registry(vendors, tdir)


def _profile_problems(p: VendorProfile, path: Path, tdir: Path) -> list[Diagnostic]:
    out: list[str] = []
    if path.stem != p.id:
        out.append(f"file name {path.name} does not match id {p.id!r}")
    if p.default_version not in p.platform_versions:
        out.append(f"default_version {p.default_version!r} is not in platform_versions")
    for o in p.outputs:
        if not (tdir / p.id / o.template).is_file():
            out.append(f"template {p.id}/{o.template} does not exist")
    for kind in ("ipsec", "gre"):
        if p.can(kind) and kind not in p.interfaces:
            out.append(f"capability {kind} needs interfaces.{kind}")
    if not re.fullmatch(r"[^\n]{1,4}", p.comment_prefix):
        out.append("comment_prefix must be 1-4 characters")
    return [
        Diagnostic("NG506", f"vendor profile {p.id}: {m}", position=Position(str(path)))
        for m in out
    ]
