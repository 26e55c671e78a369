"""Two strongSwan daemons in two private network namespaces, for end-to-end IPsec tests.

Topology (one ``SwanLab``)::

    netns <prefix>-cf    veth <cf_addrs>   (e.g. 192.0.2.10/24, 192.0.2.20/24)  charon-systemd
    netns <prefix>-cpe   veth <cpe_addrs>  (e.g. 192.0.2.2/24)                   charon-systemd

The kernel of the test machine has XFRM but no ESP, so ESP runs in userspace via strongSwan's
``kernel-libipsec`` plugin over a TUN device ``ipsec0`` per daemon. Every daemon gets its own
strongswan.conf, vici socket and log file under a private run directory; ``swanctl`` always talks
to it through ``--uri``. No daemon ever runs outside a namespace created here, and only
documentation or private addresses are used (enforced in ``__init__``).

Everything created is torn down in ``close()``: daemons by PID (SIGTERM, then SIGKILL after a
deadline), then the namespaces (which removes the veth pair). Waiting is always polling with a
deadline, never a blind sleep. Daemons also get PR_SET_PDEATHSIG, and namespaces/run dirs left by
a killed run (``swe2e-<dead pid>-*``) are removed by the next run. ``SWE2E_KEEP=1`` keeps the run
dir (configs, ``<side>/charon.log``) for debugging.

API (``side`` is ``"cf"`` or ``"cpe"``)::

    with SwanLab(cf_addrs=("192.0.2.10/24", "192.0.2.20/24"), cpe_addrs=("192.0.2.2/24",)) as lab:
        lab.load_cf(text) / lab.load_cpe(text)      # swanctl --load-all; SwanError unless clean
        lab.initiate(child, ike)                    # synchronous; check=False -> CommandResult
        lab.wait_installed(child)                   # for start_action = start
        lab.ike_sa(side, ike) / lab.child_sa(side, child) / lab.sas(side)   # parsed list-sas
        lab.list_sas(side)                          # human-readable text
        lab.counters(side, child)                   # (packets_in, packets_out) of newest SA
        lab.add_inner_address(side, "10.252.0.1/31")  # onto the shared TUN device ipsec0
        lab.ping(side, src, dst, count=1)           # -> bool
        lab.rekey_child(side, child)                # -> RekeyResult(ok, old_spis, new_spis, ...)
        lab.terminate(ike)
        lab.log(side) / lab.wait_for_log(side, regex, since=offset) / lab.diagnostics()
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal, Self, TypeVar

Side = Literal["cf", "cpe"]
SIDES: tuple[Side, Side] = ("cf", "cpe")

CHARON = Path("/usr/sbin/charon-systemd")
SWANCTL_CANDIDATES = (Path("/usr/sbin/swanctl"), Path("/usr/bin/swanctl"))
LIBIPSEC_PLUGIN = Path("/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so")
NETNS_PREFIX = "swe2e"
TUN_DEVICE = "ipsec0"
UNDERLAY_RULE_PRIORITY = 100  # < 220, the rule charon adds for its routing table 220

# kernel-libipsec must come before kernel-netlink (netlink still handles routes and addresses).
# curve25519 is deliberately absent: it lives in libstrongswan-extra-plugins, which pulls udev.
CHARON_PLUGINS = (
    "random nonce openssl pem pkcs1 x509 pubkey kdf aes sha1 sha2 hmac gmp gcm "
    "kernel-libipsec kernel-netlink socket-default vici updown"
)
SWANCTL_PLUGINS = "random nonce openssl pem pkcs1 pkcs8 x509 pubkey"

# Only these ranges may ever be used on the veth (RFC 5737 documentation ranges) or inside the
# tunnel (RFC 1918 private ranges plus the RFC 5737 ranges).
_DOC_NETS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
_PRIVATE_NETS = (
    *_DOC_NETS,
    *(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")),
    ipaddress.ip_network("169.254.0.0/16"),
)

_counter = itertools.count()
_T = TypeVar("_T")


class LabUnavailable(RuntimeError):  # noqa: N818 - name fixed by the test API
    """The machine cannot run the lab (not root, no TUN, no netns, strongSwan missing)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SwanError(RuntimeError):
    """A swanctl/ip command or a daemon did not do what was expected; carries the full output."""


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.argv)}\nrc={self.returncode} ({self.seconds:.3f}s)\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )


# ---------------------------------------------------------------------------------------------
# Parsed `swanctl --list-sas --pretty`


ViciValue = str | list[str] | dict[str, "ViciValue"]
ViciSection = dict[str, ViciValue]


@dataclass(frozen=True)
class ChildSa:
    name: str
    uniqueid: int
    state: str
    spi_in: str
    spi_out: str
    bytes_in: int
    packets_in: int
    bytes_out: int
    packets_out: int
    encr_alg: str
    integ_alg: str
    dh_group: str
    local_ts: tuple[str, ...]
    remote_ts: tuple[str, ...]
    raw: ViciSection = field(repr=False, compare=False)


@dataclass(frozen=True)
class IkeSa:
    name: str
    uniqueid: int
    state: str
    local_host: str
    remote_host: str
    local_id: str
    remote_id: str
    encr_alg: str
    integ_alg: str
    prf_alg: str
    dh_group: str
    children: tuple[ChildSa, ...]
    raw: ViciSection = field(repr=False, compare=False)

    def child(self, name: str) -> ChildSa:
        """The INSTALLED CHILD_SA called ``name`` (the newest, if a rekey left two)."""
        found = [c for c in self.children if c.name == name and c.state == "INSTALLED"]
        if not found:
            raise KeyError(f"no INSTALLED CHILD_SA {name!r} in IKE_SA {self.name!r}: {self}")
        return max(found, key=lambda c: c.uniqueid)


def parse_pretty(text: str) -> list[tuple[str, ViciSection]]:
    """Parse ``swanctl --pretty`` output into ``[(event_name, section), ...]``."""
    events: list[tuple[str, ViciSection]] = []
    stack: list[ViciSection] = []
    current_list: list[str] | None = None
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        if current_list is not None:
            if line == "]":
                current_list = None
            else:
                current_list.append(line)
            continue
        if line == "}":
            if not stack:
                raise ValueError(f"unbalanced '}}' in swanctl output:\n{text}")
            stack.pop()
            continue
        if line.endswith(" {") or line == "{":
            name = line[:-1].strip()
            section: ViciSection = {}
            if stack:
                stack[-1][name] = section
            else:
                events.append((name, section))
            stack.append(section)
            continue
        if line.endswith(" ["):
            if not stack:
                raise ValueError(f"list outside a section in swanctl output:\n{text}")
            current_list = []
            stack[-1][line[:-2].strip().rstrip("=").strip()] = current_list
            continue
        if " = " in line and stack:
            key, _, value = line.partition(" = ")
            stack[-1][key.strip()] = value
            continue
        if "=" in line and stack:  # empty values are printed as "key = " -> stripped "key ="
            key, _, value = line.partition("=")
            stack[-1][key.strip()] = value.strip()
            continue
        # anything else (log lines, "no IKE_SAs found") is not part of the message dump
    if stack:
        raise ValueError(f"unterminated section in swanctl output:\n{text}")
    return events


def _s(section: ViciSection, key: str, default: str = "") -> str:
    value = section.get(key, default)
    return value if isinstance(value, str) else default


def _i(section: ViciSection, key: str) -> int:
    value = _s(section, key, "0")
    return int(value) if value.isdigit() else 0


def _l(section: ViciSection, key: str) -> tuple[str, ...]:
    value = section.get(key, [])
    return tuple(value) if isinstance(value, list) else ()


def _to_child(section: ViciSection) -> ChildSa:
    return ChildSa(
        name=_s(section, "name"),
        uniqueid=_i(section, "uniqueid"),
        state=_s(section, "state"),
        spi_in=_s(section, "spi-in"),
        spi_out=_s(section, "spi-out"),
        bytes_in=_i(section, "bytes-in"),
        packets_in=_i(section, "packets-in"),
        bytes_out=_i(section, "bytes-out"),
        packets_out=_i(section, "packets-out"),
        encr_alg=_s(section, "encr-alg")
        + (f"_{_s(section, 'encr-keysize')}" if _s(section, "encr-keysize") else ""),
        integ_alg=_s(section, "integ-alg"),
        dh_group=_s(section, "dh-group"),
        local_ts=_l(section, "local-ts"),
        remote_ts=_l(section, "remote-ts"),
        raw=section,
    )


def parse_sas(text: str) -> list[IkeSa]:
    sas: list[IkeSa] = []
    for event, body in parse_pretty(text):
        if event != "list-sa event":
            continue
        for name, ike in body.items():
            if not isinstance(ike, dict):
                continue
            children_sec = ike.get("child-sas", {})
            children = tuple(
                _to_child(c)
                for c in (children_sec.values() if isinstance(children_sec, dict) else ())
                if isinstance(c, dict)
            )
            sas.append(
                IkeSa(
                    name=name,
                    uniqueid=_i(ike, "uniqueid"),
                    state=_s(ike, "state"),
                    local_host=_s(ike, "local-host"),
                    remote_host=_s(ike, "remote-host"),
                    local_id=_s(ike, "local-id"),
                    remote_id=_s(ike, "remote-id"),
                    encr_alg=_s(ike, "encr-alg")
                    + (f"_{_s(ike, 'encr-keysize')}" if _s(ike, "encr-keysize") else ""),
                    integ_alg=_s(ike, "integ-alg"),
                    prf_alg=_s(ike, "prf-alg"),
                    dh_group=_s(ike, "dh-group"),
                    children=children,
                    raw=ike,
                )
            )
    return sas


@dataclass(frozen=True)
class RekeyResult:
    ok: bool
    old_spis: tuple[str, str]  # (in, out) of the CHILD_SA before the rekey
    new_spis: tuple[str, str] | None  # (in, out) of the new CHILD_SA, None on failure
    log_line: str  # the log line that decided the outcome
    seconds: float


# ---------------------------------------------------------------------------------------------
# helpers


def _run(
    argv: Sequence[str], *, timeout: float = 15.0, env: dict[str, str] | None = None
) -> CommandResult:
    start = time.monotonic()
    proc = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return CommandResult(
        tuple(argv), proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start
    )


def _checked(argv: Sequence[str], *, timeout: float = 15.0) -> CommandResult:
    result = _run(argv, timeout=timeout)
    if result.returncode != 0:
        raise SwanError(f"command failed:\n{result.describe()}")
    return result


def poll(what: str, probe: Callable[[], _T | None], timeout: float, interval: float = 0.01) -> _T:
    """Call ``probe`` until it returns something other than None/False; TimeoutError after
    ``timeout`` seconds. The interval grows slowly so short waits stay short."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)
        interval = min(interval * 1.5, 0.2)


def _set_pdeathsig() -> None:  # pragma: no cover - runs in the child before exec
    """Let the kernel SIGTERM charon if the test process dies without cleaning up."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _find_swanctl() -> Path | None:
    for candidate in SWANCTL_CANDIDATES:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("swanctl")
    return Path(found) if found else None


def _check_addr(
    cidr: str, allowed: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    iface = ipaddress.ip_interface(cidr)
    if "/" not in cidr:
        raise ValueError(f"{cidr!r}: give an address with prefix length, e.g. 192.0.2.2/24")
    if not any(iface.ip in net for net in allowed):
        raise ValueError(f"{cidr!r} is outside the ranges this lab may use: {allowed}")
    return iface


def cleanup_stale_namespaces() -> list[str]:
    """Delete ``swe2e-<pid>-*`` namespaces and run dirs whose creating process is gone (runs
    that were killed before they could clean up). Only this harness's own prefix is touched."""
    removed: list[str] = []
    pattern = re.compile(rf"^{NETNS_PREFIX}-(\d+)-[0-9a-z_]+(?:-cf|-cpe)?$")

    def stale(name: str) -> bool:
        m = pattern.match(name)
        if m is None:
            return False
        pid = int(m.group(1))
        return pid != os.getpid() and not _pid_alive(pid)

    for line in _run(["ip", "netns", "list"]).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        if stale(name):
            _run(["ip", "netns", "del", name])
            removed.append(name)
    tmp = Path(tempfile.gettempdir())
    for path in tmp.glob(f"{NETNS_PREFIX}-*"):
        if path.is_dir() and stale(path.name):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


# ---------------------------------------------------------------------------------------------
# the lab


@dataclass
class _Daemon:
    side: Side
    netns: str
    veth: str
    addrs: tuple[ipaddress.IPv4Interface | ipaddress.IPv6Interface, ...]
    dir: Path
    conf: Path
    socket: Path
    logfile: Path
    stdio: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"unix://{self.socket}"


def _strongswan_conf(d: _Daemon) -> str:
    return f"""\
# private strongswan.conf of the {d.side} daemon (netns {d.netns}); /etc/strongswan.d is NOT
# included, so Debian's `kernel-libipsec {{ load = no }}` does not apply.
charon-systemd {{
    load = {CHARON_PLUGINS}
    # kernel-libipsec data path: table 220 gets `default dev {TUN_DEVICE}` per CHILD_SA plus an
    # exclude (throw) route for the IKE peer.
    install_routes = yes
    install_virtual_ip = no
    retransmit_tries = 2
    retransmit_timeout = 1.0
    retransmit_base = 1.8
    journal {{
        default = -1
    }}
    syslog {{
        daemon {{
            default = -1
        }}
    }}
    filelog {{
        lab {{
            path = {d.logfile}
            time_format = %T
            append = no
            flush_line = yes
            default = 1
            cfg = 2
            knl = 2
        }}
    }}
    plugins {{
        vici {{
            socket = {d.uri}
        }}
    }}
}}
swanctl {{
    load = {SWANCTL_PLUGINS}
}}
"""


class SwanLab:
    """Context manager: two namespaces ("cf" and "cpe") on one veth, one charon-systemd each.

    ``cf_addrs``/``cpe_addrs`` are ``address/prefix`` strings put on the veth ends. Addresses of
    the other side that are not on a connected subnet get an on-link route, so several
    documentation subnets may be mixed.
    """

    def __init__(
        self,
        cf_addrs: Sequence[str] = ("192.0.2.10/24", "192.0.2.20/24"),
        cpe_addrs: Sequence[str] = ("192.0.2.2/24",),
        *,
        keep_run_dir: bool | None = None,
        start_timeout: float = 10.0,
        stop_timeout: float = 10.0,
        underlay_bypass: bool = True,
    ) -> None:
        if not cf_addrs or not cpe_addrs:
            raise ValueError("each side needs at least one veth address")
        self._addrs: dict[Side, tuple[ipaddress.IPv4Interface | ipaddress.IPv6Interface, ...]] = {
            "cf": tuple(_check_addr(a, _DOC_NETS) for a in cf_addrs),
            "cpe": tuple(_check_addr(a, _DOC_NETS) for a in cpe_addrs),
        }
        self.keep_run_dir = (
            keep_run_dir if keep_run_dir is not None else os.environ.get("SWE2E_KEEP") == "1"
        )
        self.start_timeout = start_timeout
        self.underlay_bypass = underlay_bypass
        self.stop_timeout = stop_timeout
        self.run_dir: Path | None = None
        self._daemons: dict[Side, _Daemon] = {}
        self._netns_created: list[str] = []
        self._swanctl: Path | None = None
        self.timings: dict[str, float] = {}

    # -- lifecycle -------------------------------------------------------------------------

    @staticmethod
    def check_prerequisites() -> Path:
        """Raise LabUnavailable unless this machine can run the lab; return the swanctl path."""
        if os.geteuid() != 0:
            raise LabUnavailable("needs root (network namespaces, TUN device)")
        if not Path("/dev/net/tun").exists():
            raise LabUnavailable("/dev/net/tun is missing (kernel-libipsec needs TUN)")
        if shutil.which("ip") is None:
            raise LabUnavailable("iproute2 `ip` is missing")
        if not (CHARON.is_file() and os.access(CHARON, os.X_OK)):
            raise LabUnavailable(f"{CHARON} is missing (apt-get install charon-systemd)")
        swanctl = _find_swanctl()
        if swanctl is None:
            raise LabUnavailable("swanctl is missing (apt-get install strongswan-swanctl)")
        if not LIBIPSEC_PLUGIN.is_file():
            raise LabUnavailable(
                f"{LIBIPSEC_PLUGIN} is missing (apt-get install libcharon-extra-plugins)"
            )
        if shutil.which("ping") is None:
            raise LabUnavailable("ping is missing (apt-get install iputils-ping)")
        return swanctl

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        self._swanctl = self.check_prerequisites()
        t0 = time.monotonic()
        try:
            self._setup_network()
            self.timings["netns"] = time.monotonic() - t0
            for side in SIDES:
                self._start_daemon(self._daemons[side])
            for side in SIDES:
                self._wait_ready(self._daemons[side])
            self.timings["start"] = time.monotonic() - t0
        except BaseException:
            with contextlib.suppress(SwanError):  # keep the original error
                self.close()
            raise

    def close(self) -> None:
        """Stop both daemons by PID, delete the namespaces, remove the run dir. Idempotent."""
        t0 = time.monotonic()
        errors: list[str] = []
        procs = [d.proc for d in self._daemons.values() if d.proc is not None]
        for proc in procs:  # SIGTERM all first so they shut down in parallel
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for proc in procs:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                errors.append(f"pid {proc.pid} ignored SIGTERM for {self.stop_timeout}s")
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(timeout=5)
        for d in self._daemons.values():
            d.proc = None
        while self._netns_created:
            ns = self._netns_created.pop()
            res = _run(["ip", "netns", "del", ns])
            if res.returncode != 0:
                errors.append(res.describe())
        if self.run_dir is not None and not self.keep_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        self.timings["stop"] = time.monotonic() - t0
        if errors:
            raise SwanError("cleanup problems:\n" + "\n".join(errors))

    def _setup_network(self) -> None:
        cleanup_stale_namespaces()
        n = next(_counter)
        pid = os.getpid()
        self.run_dir = Path(tempfile.mkdtemp(prefix=f"{NETNS_PREFIX}-{pid}-"))
        for side in SIDES:
            ns = f"{NETNS_PREFIX}-{pid}-{n:x}-{side}"
            sdir = self.run_dir / side
            sdir.mkdir()
            self._daemons[side] = _Daemon(
                side=side,
                netns=ns,
                veth=f"sw{pid}x{n:x}{side[1]}"[:15],
                addrs=self._addrs[side],
                dir=sdir,
                conf=sdir / "strongswan.conf",
                socket=sdir / "charon.vici",
                logfile=sdir / "charon.log",
                stdio=sdir / "charon.stdio",
            )
            if len(str(sdir / "charon.vici")) > 100:
                raise SwanError(f"vici socket path too long for AF_UNIX: {sdir}")
            res = _run(["ip", "netns", "add", ns])
            if res.returncode != 0:
                raise LabUnavailable(f"`ip netns add` failed: {res.output.strip()}")
            self._netns_created.append(ns)
        cf, cpe = self._daemons["cf"], self._daemons["cpe"]
        # create the veth pair directly inside the namespaces (never visible in the host netns)
        _checked(
            ["ip", "link", "add", cf.veth, "netns", cf.netns, "type", "veth",
             "peer", "name", cpe.veth, "netns", cpe.netns]
        )  # fmt: skip
        for d in (cf, cpe):
            _checked(["ip", "-n", d.netns, "link", "set", "lo", "up"])
            for a in d.addrs:
                _checked(["ip", "-n", d.netns, "addr", "add", str(a), "dev", d.veth])
            _checked(["ip", "-n", d.netns, "link", "set", d.veth, "up"])
        for d, other in ((cf, cpe), (cpe, cf)):
            # the other side's subnets that are not connected here get an on-link route
            for net in dict.fromkeys(a.network for a in other.addrs):
                if not any(a.ip in net for a in d.addrs):
                    _checked(["ip", "-n", d.netns, "route", "add", str(net), "dev", d.veth])
            if self.underlay_bypass:
                # kernel-libipsec installs `default dev ipsec0` in table 220 per 0.0.0.0/0
                # CHILD_SA plus ONE exclude route, for the peer of the first such CHILD_SA only
                # (identical selectors share one route entry). IKE and ESP to a second peer
                # would then loop into ipsec0. Keep the underlay out of table 220 instead.
                for a in other.addrs:
                    _checked(
                        ["ip", "-n", d.netns, "rule", "add", "to", f"{a.ip}/{a.max_prefixlen}",
                         "lookup", "main", "priority", str(UNDERLAY_RULE_PRIORITY)]
                    )  # fmt: skip

    def _start_daemon(self, d: _Daemon) -> None:
        d.conf.write_text(_strongswan_conf(d))
        with d.stdio.open("wb") as stdio:
            # `ip netns exec` and `env` both exec(), so Popen.pid is charon's own PID.
            d.proc = subprocess.Popen(
                ["ip", "netns", "exec", d.netns, "env", f"STRONGSWAN_CONF={d.conf}", str(CHARON)],
                stdin=subprocess.DEVNULL,
                stdout=stdio,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_set_pdeathsig,
            )

    def _wait_ready(self, d: _Daemon) -> None:
        proc = d.proc
        assert proc is not None

        def ready() -> bool:
            if proc.poll() is not None:
                raise SwanError(
                    f"charon ({d.side}) exited with rc {proc.returncode} during startup\n"
                    + self.diagnostics(d.side)
                )
            if not d.socket.exists():
                return False
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                try:
                    s.connect(str(d.socket))
                except OSError:
                    return False
            return True

        try:
            poll(f"vici socket of {d.side}", ready, self.start_timeout)
        except TimeoutError as e:
            raise SwanError(f"{e}\n{self.diagnostics(d.side)}") from None
        exe = Path(f"/proc/{proc.pid}/exe").resolve()
        if exe != CHARON.resolve():
            raise SwanError(f"pid {proc.pid} is {exe}, expected {CHARON}")

    # -- accessors --------------------------------------------------------------------------

    def _daemon(self, side: Side) -> _Daemon:
        if side not in self._daemons or self._daemons[side].proc is None:
            raise SwanError(f"lab not running (side {side!r})")
        return self._daemons[side]

    def netns(self, side: Side) -> str:
        return self._daemon(side).netns

    def pid(self, side: Side) -> int:
        proc = self._daemon(side).proc
        assert proc is not None
        return proc.pid

    def addresses(self, side: Side) -> tuple[str, ...]:
        """Veth addresses of ``side`` (without prefix length)."""
        return tuple(str(a.ip) for a in self._addrs[side])

    def log(self, side: Side) -> str:
        path = self._daemons[side].logfile
        return path.read_text(errors="replace") if path.exists() else ""

    def log_size(self, side: Side) -> int:
        path = self._daemons[side].logfile
        return path.stat().st_size if path.exists() else 0

    def log_since(self, side: Side, offset: int) -> str:
        path = self._daemons[side].logfile
        if not path.exists():
            return ""
        with path.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def wait_for_log(
        self, side: Side, pattern: str | re.Pattern[str], *, since: int = 0, timeout: float = 5.0
    ) -> re.Match[str]:
        """Poll the daemon log (from byte offset ``since``) until ``pattern`` matches."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        try:
            return poll(
                f"/{rx.pattern}/ in {side} log",
                lambda: rx.search(self.log_since(side, since)),
                timeout,
            )
        except TimeoutError as e:
            raise SwanError(f"{e}\n{self.diagnostics(side)}") from None

    def diagnostics(self, side: Side | None = None, tail: int = 60) -> str:
        """Last lines of the daemon logs, for assertion messages."""
        out = []
        for s in (side,) if side else SIDES:
            d = self._daemons.get(s)
            if d is None:
                continue
            log_lines = self.log(s).splitlines()[-tail:]
            stdio = d.stdio.read_text(errors="replace") if d.stdio.exists() else ""
            out.append(f"===== {s} log ({d.logfile}) =====\n" + "\n".join(log_lines))
            if stdio.strip():
                out.append(f"===== {s} stdout/stderr =====\n{stdio[-4000:]}")
        return "\n".join(out)

    # -- commands ---------------------------------------------------------------------------

    def run_in(self, side: Side, *argv: str, timeout: float = 15.0) -> CommandResult:
        """Run a command inside the namespace of ``side`` (not checked)."""
        return _run(["ip", "netns", "exec", self.netns(side), *argv], timeout=timeout)

    def swanctl(self, side: Side, *args: str, timeout: float = 30.0) -> CommandResult:
        """Run swanctl against the daemon of ``side`` (not checked)."""
        d = self._daemon(side)
        assert self._swanctl is not None
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin"), "STRONGSWAN_CONF": str(d.conf)}
        return _run([str(self._swanctl), *args, "--uri", d.uri], timeout=timeout, env=env)

    def load(self, side: Side, swanctl_conf: str, name: str = "swanctl.conf") -> CommandResult:
        """Write ``swanctl_conf`` under the run dir and ``--load-all`` it; SwanError unless every
        connection and secret loaded. (On failure charon keeps the previously loaded config.)"""
        d = self._daemon(side)
        confdir = d.dir / "swanctl"
        confdir.mkdir(exist_ok=True)
        path = confdir / name
        path.write_text(swanctl_conf)
        res = self.swanctl(side, "--load-all", "--file", str(path))
        # `--file` makes swanctl look for x509/, private/, ... next to the file: harmless noise
        noise = re.compile(r"^opening directory '.*' failed", re.M)
        out = noise.sub("", res.output)
        bad = re.search(r"failed|discarded|error", out, re.I)
        if res.returncode != 0 or "successfully loaded" not in out or bad:
            raise SwanError(f"loading {side} swanctl.conf failed:\n{res.describe()}\n"
                            f"--- {path} ---\n{swanctl_conf}")  # fmt: skip
        return res

    def load_cf(self, swanctl_conf: str) -> CommandResult:
        return self.load("cf", swanctl_conf)

    def load_cpe(self, swanctl_conf: str) -> CommandResult:
        return self.load("cpe", swanctl_conf)

    def initiate(
        self,
        child: str,
        ike: str | None = None,
        *,
        side: Side = "cpe",
        check: bool = True,
        timeout: float = 10.0,
    ) -> CommandResult:
        """``swanctl --initiate --child`` (synchronous; rc 0 = IKE_SA and CHILD_SA up)."""
        args = ["--initiate", "--child", child, "--timeout", str(max(1, int(timeout)))]
        if ike:
            args += ["--ike", ike]
        res = self.swanctl(side, *args, timeout=timeout + 5)
        if check and res.returncode != 0:
            raise SwanError(f"initiate {child!r} failed:\n{res.describe()}\n{self.diagnostics()}")
        return res

    def terminate(self, ike: str, *, side: Side = "cpe", check: bool = True) -> CommandResult:
        """``swanctl --terminate --ike`` (synchronous)."""
        res = self.swanctl(side, "--terminate", "--ike", ike, "--timeout", "5")
        if check and res.returncode != 0:
            raise SwanError(f"terminate {ike!r} failed:\n{res.describe()}")
        return res

    def list_sas(self, side: Side, ike: str | None = None) -> str:
        """Human-readable ``swanctl --list-sas``."""
        args = ["--list-sas", "--noblock"] + (["--ike", ike] if ike else [])
        return self.swanctl(side, *args).output

    def sas(self, side: Side, ike: str | None = None) -> list[IkeSa]:
        """Parsed ``swanctl --list-sas --pretty``."""
        args = ["--list-sas", "--noblock", "--pretty"] + (["--ike", ike] if ike else [])
        res = self.swanctl(side, *args)
        if res.returncode != 0:
            raise SwanError(f"list-sas failed:\n{res.describe()}")
        return parse_sas(res.stdout)

    def ike_sa(self, side: Side, ike: str) -> IkeSa:
        """The ESTABLISHED IKE_SA called ``ike`` on ``side`` (SwanError if none)."""
        for sa in self.sas(side, ike):
            if sa.name == ike and sa.state == "ESTABLISHED":
                return sa
        raise SwanError(f"no ESTABLISHED IKE_SA {ike!r} on {side}:\n{self.list_sas(side)}")

    def child_sa(self, side: Side, child: str) -> ChildSa:
        """The newest INSTALLED CHILD_SA called ``child`` on ``side`` (any IKE_SA)."""
        found = [
            c
            for sa in self.sas(side)
            for c in sa.children
            if c.name == child and c.state == "INSTALLED"
        ]
        if not found:
            raise SwanError(f"no INSTALLED CHILD_SA {child!r} on {side}:\n{self.list_sas(side)}")
        return max(found, key=lambda c: c.uniqueid)

    def wait_installed(
        self, child: str, ike: str | None = None, *, side: Side = "cpe", timeout: float = 10.0
    ) -> ChildSa:
        """Poll until IKE_SA ``ike`` (default: same name as ``child``) is ESTABLISHED with an
        INSTALLED CHILD_SA ``child`` on ``side``; for configs with ``start_action = start``."""
        ike = ike or child

        def installed() -> ChildSa | None:
            for sa in self.sas(side, ike):
                if sa.name == ike and sa.state == "ESTABLISHED":
                    with contextlib.suppress(KeyError):
                        return sa.child(child)
            return None

        try:
            return poll(f"CHILD_SA {child!r} INSTALLED on {side}", installed, timeout)
        except TimeoutError as e:
            raise SwanError(f"{e}\n{self.list_sas(side)}\n{self.diagnostics()}") from None

    def counters(self, side: Side, child: str) -> tuple[int, int]:
        """(packets_in, packets_out) of the newest INSTALLED CHILD_SA ``child`` on ``side``."""
        c = self.child_sa(side, child)
        return c.packets_in, c.packets_out

    def wait_tun(self, side: Side, timeout: float = 5.0) -> None:
        def exists() -> bool:
            res = _run(["ip", "-n", self.netns(side), "link", "show", TUN_DEVICE])
            return res.returncode == 0

        poll(f"{TUN_DEVICE} in {side}", exists, timeout)

    def add_inner_address(self, side: Side, cidr: str) -> None:
        """Put an inner (tunnel) address on the shared libipsec TUN device ``ipsec0``."""
        _check_addr(cidr, _PRIVATE_NETS)
        self.wait_tun(side)
        ns = self.netns(side)
        _checked(["ip", "-n", ns, "addr", "replace", cidr, "dev", TUN_DEVICE])
        _checked(["ip", "-n", ns, "link", "set", TUN_DEVICE, "up"])

    def ping(self, side: Side, src: str, dst: str, *, count: int = 1, timeout: float = 2.0) -> bool:
        """ICMP echo from ``src`` (an address in ``side``'s namespace) to ``dst``."""
        for a in (src, dst):
            _check_addr(f"{a}/32", _PRIVATE_NETS)
        res = self.run_in(
            side, "ping", "-n", "-q", "-c", str(count), "-i", "0.05",
            "-W", str(max(1, round(timeout))), "-w", str(max(1, round(timeout))),
            "-I", src, dst,
            timeout=timeout + 5,
        )  # fmt: skip
        return res.returncode == 0

    def rekey_child(self, side: Side, child: str, *, timeout: float = 10.0) -> RekeyResult:
        """Rekey CHILD_SA ``child`` from ``side`` and wait for the outcome in the log.

        ``swanctl --rekey`` is asynchronous and always reports success, so the log decides:
        ``CHILD_SA <child>{N} established with SPIs`` with a new N and new SPIs, or
        ``CHILD_SA rekeying failed`` / ``NO_PROPOSAL_CHOSEN``.
        """
        old = self.child_sa(side, child)
        offset = self.log_size(side)
        t0 = time.monotonic()
        res = self.swanctl(side, "--rekey", "--child", child)
        if res.returncode != 0:
            raise SwanError(f"rekey {child!r} failed:\n{res.describe()}")
        rx = re.compile(
            rf"CHILD_SA {re.escape(child)}\{{(?P<id>\d+)\}} established with SPIs "
            rf"(?P<spi_in>[0-9a-f]+)_i (?P<spi_out>[0-9a-f]+)_o"
            r"|(?P<fail>CHILD_SA rekeying failed.*|.*NO_PROPOSAL_CHOSEN.*"
            r"|.*no acceptable proposal.*)"
        )

        def outcome() -> re.Match[str] | None:
            for m in rx.finditer(self.log_since(side, offset)):
                if m.group("fail") or int(m.group("id")) != old.uniqueid:
                    return m
            return None

        try:
            m = poll(f"rekey outcome of {child!r} on {side}", outcome, timeout)
        except TimeoutError as e:
            raise SwanError(f"{e}\n{self.diagnostics()}") from None
        old_spis = (old.spi_in, old.spi_out)
        seconds = time.monotonic() - t0
        line = m.group(0)
        if m.group("fail"):
            return RekeyResult(False, old_spis, None, line, seconds)
        return RekeyResult(True, old_spis, (m.group("spi_in"), m.group("spi_out")), line, seconds)
