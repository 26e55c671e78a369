"""Remediation and rollback: the commands that turn one rendered config into another.

One engine per kind of CLI, chosen by the vendor profile's ``remediation.engine``:
:mod:`.hierarchical` (hier_config, for CLIs applied line by line), :mod:`.set_commands`
(``set``/``delete`` in one commit) and :mod:`.strongswan` (swanctl steps and a removal script).
:mod:`.scope` decides which lines of a running config are netgen's.
"""

from __future__ import annotations

from collections.abc import Mapping

from netgen.remediate import hierarchical, set_commands
from netgen.remediate.model import Remediation
from netgen.remediate.scope import flat_lines, mask_secrets, ownership, redact_pair
from netgen.remediate.strongswan import remediate_strongswan
from netgen.remediate.text import config_lines, main_config
from netgen.vendors.registry import VendorProfile

__all__ = ["Remediation", "redact_pair", "remediate", "remediate_running", "supports_running"]


def remediate(
    profile: VendorProfile, device: str, old: Mapping[str, str], new: Mapping[str, str]
) -> Remediation:
    """Remediation from the device's ``old`` files to its ``new`` files ({name: text}; empty
    when the device is added or removed), and the rollback."""
    spec = profile.remediation
    if spec.engine == "strongswan":
        forward, back = remediate_strongswan(old, new, device)
        return Remediation(forward, back, spec.extension)
    before = config_lines(main_config(profile, old), profile.comment_prefix)
    after = config_lines(main_config(profile, new), profile.comment_prefix)
    return _between(profile, before, after)


def supports_running(profile: VendorProfile) -> bool:
    return profile.remediation.engine != "strongswan"


def remediate_running(
    profile: VendorProfile, running: str, intended: Mapping[str, str]
) -> Remediation:
    """Remediation that makes the netgen-managed part of a saved ``running`` config match the
    ``intended`` files; every line netgen does not manage is left alone (and not rolled back)."""
    spec = profile.remediation
    hierarchical_cli = spec.engine == "hier_config"
    target = config_lines(main_config(profile, intended), profile.comment_prefix)
    lines = mask_secrets(spec, config_lines(running, profile.comment_prefix), target)
    owner = ownership(
        spec, flat_lines(lines, hierarchical_cli), flat_lines(target, hierarchical_cli)
    )
    if hierarchical_cli:
        current = hierarchical.in_scope(lines, target, owner.owns)
    else:
        current = set_commands.in_scope(spec, lines, target, owner.owns)
    return _between(profile, current, target)


def _between(profile: VendorProfile, before: list[str], after: list[str]) -> Remediation:
    spec = profile.remediation
    if spec.engine == "hier_config":
        forward, back = hierarchical.remediate_hierarchical(spec, before, after)
    else:
        forward = set_commands.remediate_set(spec, before, after)
        back = set_commands.remediate_set(spec, after, before)
    return Remediation(forward, back, spec.extension, before, after)
