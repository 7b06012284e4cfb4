"""`wipe-station doctor`: checks a bench before the first phone, each finding with its fix.

Every check looks at the real machine (libusb, udev rules, /proc, sockets, the database, CUPS,
the fonts); `Bench` names the places it looks, so a test can point one at a missing socket or an
empty rules directory. No UI imports here: the CLI and the TUI screen both print these findings.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import getpass
import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

OS_TIMEOUT_S = 10


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class Finding:
    check: str  # short stable name, e.g. "libusb"
    level: Level
    message: str
    fix: str = ""  # the command (or step) that fixes it; "" when ok


@dataclass
class Bench:
    """Where the checks look. The defaults are a real station's."""

    home: Path
    db_url: str | None = None
    user: str = field(default_factory=getpass.getuser)
    udev_dirs: tuple[Path, ...] = (
        Path("/etc/udev/rules.d"),
        Path("/run/udev/rules.d"),
        Path("/usr/lib/udev/rules.d"),
        Path("/lib/udev/rules.d"),
    )
    usbmuxd_socket: Path = Path("/var/run/usbmuxd")
    proc: Path = Path("/proc")
    adb_port: int = 5037
    min_free_bytes: int = 2 * 1024**3  # below: a problem (database, PDFs, evidence)
    low_free_bytes: int = 10 * 1024**3  # below: a warning
    font_dir: Path | None = None  # None: reportlab's bundled fonts, as certificates use
    printers: tuple[str, ...] | None = None  # None: the station's print settings
    usb_backend: object | None = None  # None: libusb-1.0, as the station opens phones


def _run(*args: str) -> subprocess.CompletedProcess[str] | None:
    if shutil.which(args[0]) is None:
        return None
    try:
        return subprocess.run(
            args, capture_output=True, text=True, timeout=OS_TIMEOUT_S, check=False
        )
    except (subprocess.TimeoutExpired, OSError):
        return None


# -- USB ------------------------------------------------------------------------------------
def check_libusb(bench: Bench) -> Finding:
    import usb.backend.libusb1
    import usb.core

    backend = (
        bench.usb_backend if bench.usb_backend is not None else usb.backend.libusb1.get_backend()
    )
    if backend is None:
        return Finding(
            "libusb",
            Level.PROBLEM,
            "libusb-1.0 does not load: no phone can be reached",
            "sudo apt-get install libusb-1.0-0",
        )
    try:
        buses = {d.bus for d in usb.core.find(find_all=True, backend=backend)}
    except usb.core.USBError as exc:
        return Finding("libusb", Level.PROBLEM, f"libusb loads but cannot list devices: {exc}")
    if not buses:
        return Finding(
            "libusb",
            Level.PROBLEM,
            "libusb loads but sees no USB bus (a container without /dev/bus/usb?)",
            "run the station on the machine the hub is plugged into, with /dev/bus/usb",
        )
    return Finding("libusb", Level.OK, f"libusb loads and sees {len(buses)} USB bus(es)")


def _rules_file(bench: Bench) -> tuple[Path, str] | None:
    for folder in bench.udev_dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.rules")):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            if "Wipe Station" in text:
                match = re.search(r'GROUP="([^"]+)"', text)
                return path, match.group(1) if match else ""
    return None


def _in_group(user: str, group: str) -> bool:
    try:
        entry = grp.getgrnam(group)
    except KeyError:
        return False
    if user in entry.gr_mem:
        return True
    try:
        return pwd.getpwnam(user).pw_gid == entry.gr_gid
    except KeyError:
        return False


def check_udev(bench: Bench) -> Finding:
    found = _rules_file(bench)
    if found is None:
        where = ", ".join(str(d) for d in bench.udev_dirs[:1])
        return Finding(
            "udev",
            Level.PROBLEM,
            f"no Wipe Station udev rule in {where}: phones need root to open",
            "sudo wipe-station udev install --group plugdev",
        )
    path, group = found
    if bench.user == "root":
        return Finding("udev", Level.OK, f"{path} installed (group {group}); running as root")
    if not group or not _in_group(bench.user, group):
        return Finding(
            "udev",
            Level.PROBLEM,
            f"{path} gives phones to group {group or '?'}, and {bench.user} is not in it",
            f"sudo usermod -aG {group or 'plugdev'} {bench.user}  (then log in again)",
        )
    return Finding("udev", Level.OK, f"{path} installed; {bench.user} is in group {group}")


def _process_names(bench: Bench) -> dict[int, tuple[str, str]]:
    """pid -> (comm, cmdline) of every process we may read."""
    out: dict[int, tuple[str, str]] = {}
    for entry in bench.proc.iterdir() if bench.proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        out[int(entry.name)] = (comm, cmd.strip())
    return out


def _usb_holders(bench: Bench, me: int) -> dict[int, str]:
    """Other processes with a USB device node open (they may hold a phone's interface)."""
    holders: dict[int, str] = {}
    for pid, (comm, _) in _process_names(bench).items():
        if pid == me:
            continue
        fd_dir = bench.proc / str(pid) / "fd"
        try:
            targets = [os.readlink(fd_dir / fd) for fd in os.listdir(fd_dir)]
        except OSError:
            continue
        if any(t.startswith("/dev/bus/usb/") for t in targets):
            holders[pid] = comm
    return holders


def check_adb_server(bench: Bench) -> Finding:
    servers = [
        pid
        for pid, (comm, cmd) in _process_names(bench).items()
        if comm == "adb" and "fork-server" in cmd
    ]
    listening = False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        listening = probe.connect_ex(("127.0.0.1", bench.adb_port)) == 0
    if servers or listening:
        which = f"pid {', '.join(map(str, servers))}" if servers else f"port {bench.adb_port}"
        return Finding(
            "adb_server",
            Level.PROBLEM,
            f"an adb server is running ({which}): it claims Android phones' ADB interfaces",
            "adb kill-server  (and stop whatever starts it, e.g. an IDE)",
        )
    holders = _usb_holders(bench, os.getpid())
    if holders:
        names = ", ".join(f"{comm} (pid {pid})" for pid, comm in sorted(holders.items()))
        return Finding(
            "adb_server",
            Level.WARNING,
            f"other programs have USB devices open and may hold a phone's interface: {names}",
            "close them (e.g. kill PID) before plugging phones in",
        )
    return Finding("adb_server", Level.OK, "no adb server and no other program holding USB devices")


def check_usbmuxd(bench: Bench) -> Finding:
    path = bench.usbmuxd_socket
    if not path.exists():
        return Finding(
            "usbmuxd",
            Level.PROBLEM,
            f"usbmuxd is not running (no socket {path}): iPhones cannot be reached",
            "sudo apt-get install usbmuxd && sudo systemctl start usbmuxd",
        )
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        try:
            probe.connect(str(path))
        except OSError as exc:
            return Finding(
                "usbmuxd",
                Level.PROBLEM,
                f"usbmuxd's socket {path} does not answer ({exc.strerror or exc})",
                "sudo systemctl restart usbmuxd",
            )
    return Finding("usbmuxd", Level.OK, f"usbmuxd answers on {path}")


# -- the station ----------------------------------------------------------------------------
def check_home(bench: Bench) -> list[Finding]:
    from wipe_station.identity import ID_FILE, KEY_FILE, exists
    from wipe_station.paths import keys_dir

    home = bench.home
    if not exists(home):
        return [
            Finding(
                "home",
                Level.PROBLEM,
                f"no station in {home}",
                "wipe-station users add NAME --role admin  (or wipe-station station init)",
            )
        ]
    out = []
    if not os.access(home, os.W_OK):
        out.append(
            Finding("home", Level.PROBLEM, f"{home} is not writable", f"sudo chown -R $USER {home}")
        )
    else:
        out.append(Finding("home", Level.OK, f"station home {home} ({ID_FILE} present)"))
    key = keys_dir(home) / KEY_FILE
    if not key.is_file():
        out.append(
            Finding(
                "key",
                Level.PROBLEM,
                f"the signing key {key} is missing: certificates cannot be signed",
                "restore the key from the station's backup",
            )
        )
    elif key.stat().st_mode & 0o077:
        out.append(
            Finding(
                "key",
                Level.PROBLEM,
                f"the signing key {key} is readable by others",
                f"chmod 600 {key}",
            )
        )
    else:
        out.append(Finding("key", Level.OK, f"signing key {key} (owner only)"))
    return out


def check_database(bench: Bench) -> list[Finding]:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from wipe_station.db import migrate
    from wipe_station.db.engine import make_engine
    from wipe_station.db.integrity import describe_damage, sqlite_damage
    from wipe_station.paths import resolve_db_url, sqlite_path

    url = resolve_db_url(bench.db_url, bench.home)
    sqlite = sqlite_path(url)
    if sqlite is not None and not sqlite.exists():
        return [
            Finding(
                "database",
                Level.PROBLEM,
                f"no database at {sqlite}",
                "wipe-station station init  (or restore the database from backup)",
            )
        ]
    if sqlite is not None and (damage := sqlite_damage(url)):
        # The same page check start-up refuses to certify on, in the same words.
        return [
            Finding(
                "database",
                Level.PROBLEM,
                describe_damage(url, damage),
                f"restore {sqlite} from backup",
            )
        ]
    out: list[Finding] = []
    try:
        engine = make_engine(url)
    except Exception as exc:  # a malformed URL: said, not raised
        return [Finding("database", Level.PROBLEM, f"database URL not usable: {exc}")]
    kind = "PostgreSQL" if sqlite is None else "SQLite"
    try:
        with engine.connect() as conn:
            answers = conn.execute(text("SELECT 1")).scalar() == 1
        current = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        first = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        fix = (
            "start PostgreSQL and check --db / WIPE_STATION_DB"
            if sqlite is None
            else f"restore {sqlite} from backup"
        )
        return [Finding("database", Level.PROBLEM, f"{kind} does not answer: {first}", fix)]
    finally:
        engine.dispose()
    if not answers:
        out.append(
            Finding(
                "database",
                Level.PROBLEM,
                f"{kind} gives no answer to SELECT 1",
                f"restore {sqlite} from backup" if sqlite else "ask the database's admin",
            )
        )
    else:
        out.append(Finding("database", Level.OK, f"{kind} answers; integrity ok"))
    head = migrate.head_revision()
    if current == head:
        out.append(Finding("migrations", Level.OK, f"database at migration {head} (current)"))
    else:
        out.append(
            Finding(
                "migrations",
                Level.WARNING,
                f"database at migration {current or 'none'}, this version needs {head}",
                "start the station once (migrations run on start), after a backup",
            )
        )
    return out


# Longer than this without a walk of the whole chain, and `doctor` says so.
FULL_AUDIT_DAYS = 31


def check_audit(bench: Bench) -> list[Finding]:
    """When this station's audit chain was last verified whole. Start-up and `audit verify`
    walk only what came after the last verified checkpoint, so a change to older events is
    found by a full walk alone (docs/decisions.md, 2026-12-07)."""
    from wipe_station.audit import resume
    from wipe_station.errors import StationError
    from wipe_station.identity import read_id_file
    from wipe_station.paths import resolve_db_url
    from wipe_station.timeutil import utcnow

    try:
        station, _ = read_id_file(bench.home)
    except (OSError, StationError):
        return []  # no station here: `home` says so
    fix = "wipe-station audit verify --full"
    when = resume.last_full(bench.home, resolve_db_url(bench.db_url, bench.home), station)
    if when is None:
        return [
            Finding(
                "audit",
                Level.WARNING,
                "this station's audit log has not been verified whole on this database "
                "(start-up checks only what came after the last verified checkpoint)",
                fix,
            )
        ]
    days = (utcnow() - when).days
    if days > FULL_AUDIT_DAYS:
        return [
            Finding(
                "audit",
                Level.WARNING,
                f"the audit log was last verified whole on {when.date().isoformat()}, "
                f"{days} days ago",
                fix,
            )
        ]
    return [Finding("audit", Level.OK, f"audit log verified whole on {when.date().isoformat()}")]


# -- the machine ----------------------------------------------------------------------------
class _Timex(ctypes.Structure):
    # struct timex (linux/timex.h): modes, offset, freq, maxerror, esterror, status, ...; the
    # rest is padding large enough for every architecture's layout.
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("_rest", ctypes.c_byte * 256),
    ]


STA_UNSYNC = 0x0040


def _kernel_synchronised() -> bool | None:
    """adjtimex(2) with modes 0 only reads: STA_UNSYNC is clear while NTP disciplines the clock."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        tx = _Timex()
        state = libc.adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return not (tx.status & STA_UNSYNC) and state != 5  # 5: TIME_ERROR


def check_clock(bench: Bench) -> Finding:
    fix = "sudo timedatectl set-ntp true  (or install and start chrony)"
    done = _run("timedatectl", "show", "-p", "NTPSynchronized", "--value")
    answer = done.stdout.strip() if done is not None and done.returncode == 0 else ""
    if answer == "yes":
        return Finding("clock", Level.OK, "the clock is synchronised (timedatectl)")
    if answer == "no":
        return Finding(
            "clock",
            Level.PROBLEM,
            "the clock is not synchronised: certificates carry its times",
            fix,
        )
    kernel = _kernel_synchronised()
    if kernel:
        return Finding("clock", Level.OK, "the clock is synchronised (kernel NTP state)")
    if kernel is False:
        return Finding(
            "clock",
            Level.PROBLEM,
            "the kernel says the clock is not synchronised (no NTP): certificates carry its times",
            fix,
        )
    return Finding("clock", Level.WARNING, "cannot tell whether the clock is synchronised", fix)


def check_disk(bench: Bench) -> Finding:
    where = bench.home if bench.home.exists() else bench.home.parent
    while not where.exists():
        where = where.parent
    usage = shutil.disk_usage(where)
    free = f"{usage.free / 1024**3:.1f} GiB free on the station home's disk ({where})"
    if usage.free < bench.min_free_bytes:
        return Finding(
            "disk",
            Level.PROBLEM,
            free + f", below {bench.min_free_bytes / 1024**3:.1f} GiB",
            "free space (e.g. old files in <home>/print), or move the home to a larger disk",
        )
    if usage.free < bench.low_free_bytes:
        return Finding("disk", Level.WARNING, free, "free some space soon")
    return Finding("disk", Level.OK, free)


def _station_printers(bench: Bench) -> tuple[str, ...]:
    if bench.printers is not None:
        return bench.printers
    from wipe_station import printing, settings
    from wipe_station.context import open_station

    try:
        ctx = open_station(bench.home, bench.db_url, create=False)
    except Exception:  # the home/database findings say why
        return ()
    try:
        with ctx.session() as session:
            return tuple(settings.get(session, key) for key in printing.SETTING.values())
    finally:
        ctx.close()


def check_printers(bench: Bench) -> list[Finding]:
    from wipe_station import printing

    chosen = {name for name in _station_printers(bench) if name}
    try:
        if not chosen:
            default = printing.default_printer()
            if default is None:
                return [
                    Finding(
                        "printers",
                        Level.WARNING,
                        "no printer chosen and no CUPS default: certificates are kept as PDFs only",
                        "wipe-station settings set print.documents NAME  (lpstat -p lists them)",
                    )
                ]
            chosen = {default}
        out = []
        for name in sorted(chosen):
            try:
                printing.check_printer(name)
            except printing.PrintError as exc:
                out.append(Finding("printers", Level.PROBLEM, str(exc), _printer_fix(name, exc)))
            else:
                out.append(
                    Finding("printers", Level.OK, f"printer {name} is enabled and accepting")
                )
        return out
    except printing.PrintError as exc:
        return [
            Finding("printers", Level.PROBLEM, str(exc), "sudo apt-get install cups && sudo cupsd")
        ]


def _printer_fix(name: str, exc: Exception) -> str:
    text = str(exc)
    if "cupsenable" in text:
        return f"cupsenable {name}"
    if "cupsaccept" in text:
        return f"cupsaccept {name}"
    return "wipe-station settings set print.documents NAME  (lpstat -p lists the printers)"


# Both certificate languages: Norwegian bokmål's letters and the English text's punctuation.
NEEDED_GLYPHS = "æøåÆØÅéèüö«»–—’…"


def check_fonts(bench: Bench) -> Finding:
    from reportlab.pdfbase.ttfonts import TTFont

    if bench.font_dir is None:
        import reportlab

        folder = Path(reportlab.__file__).parent / "fonts"
    else:
        folder = bench.font_dir
    path = folder / "Vera.ttf"
    if not path.is_file():
        return Finding(
            "fonts",
            Level.PROBLEM,
            f"the certificate font {path} is missing: certificates cannot be drawn",
            "pip install --force-reinstall reportlab",
        )
    try:
        cmap = TTFont("WSDoctorCheck", str(path)).face.charToGlyph
    except Exception as exc:  # a damaged font file is a finding
        return Finding("fonts", Level.PROBLEM, f"{path} is damaged: {exc}", "reinstall reportlab")
    missing = [ch for ch in NEEDED_GLYPHS if ord(ch) not in cmap]
    if missing:
        return Finding(
            "fonts",
            Level.PROBLEM,
            f"{path.name} cannot draw {''.join(missing)} (Norwegian/English certificate text)",
            "pip install --force-reinstall reportlab",
        )
    return Finding("fonts", Level.OK, f"{path.name} draws Norwegian and English text")


CHECKS: tuple[Callable[[Bench], Finding | list[Finding]], ...] = (
    check_libusb,
    check_udev,
    check_adb_server,
    check_usbmuxd,
    check_home,
    check_database,
    check_audit,
    check_clock,
    check_disk,
    check_printers,
    check_fonts,
)


def run(bench: Bench) -> list[Finding]:
    """Every check, in order; a check that crashes is itself a problem, never a traceback."""
    findings: list[Finding] = []
    for check in CHECKS:
        name = check.__name__.removeprefix("check_")
        try:
            got = check(bench)
        except Exception as exc:  # the doctor must finish its round
            got = Finding(name, Level.PROBLEM, f"the check failed: {type(exc).__name__}: {exc}")
        findings += got if isinstance(got, list) else [got]
    return findings


def exit_status(findings: list[Finding]) -> int:
    return 1 if any(f.level is Level.PROBLEM for f in findings) else 0
