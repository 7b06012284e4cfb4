"""Issue 10, "secrets never leak": operators' PINs, the station's keys and the iOS pair records
stay where they belong (the argon2 hash, the key directory) and appear in nothing else the
station writes or says: the database file and its WAL, logs, CLI output, the audit bundle,
certificate PDFs, or any CSV/JSON/PDF export the CLI offers.

The run goes through the real entry point, as at a depot: operators are added with their PINs on
standard input, sign in through WIPE_STATION_OPERATOR/WIPE_STATION_PIN (one of them mistypes),
run the headless demo fleet and export everything there is to export.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import plistlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from drivers.ios.records import PairRecordStore
from tests.privacy.fleet import kept_fleets
from tests.privacy.leaks import (
    OWNER_CANARIES,
    Artefacts,
    Needle,
    number_needle,
    pdf_views,
    pem_needles,
    secret_needles,
    sqlite_files,
)
from wipe_station.audit import log as audit
from wipe_station.audit.store import export_bundle
from wipe_station.cli.main import main
from wipe_station.context import StationContext, open_station
from wipe_station.identity import KEY_FILE
from wipe_station.operators import actor_of, add_operator
from wipe_station.orchestrator.demo_home import DEMO_CUSTOMER_ORG
from wipe_station.paths import keys_dir
from wipe_station.timeutil import utcnow

# Eight digits: a six-digit PIN turns up by chance (in timestamps' microseconds) in about one
# run in 40, so the search for it could not tell a leak from luck.
PINS = {
    "depot-admin": "48291375",
    "tekniker-ola": "48291306",
    "logistikk-per": "59302817",
    "revisor-siri": "73920584",
}
ROLES = {
    "depot-admin": "admin",
    "tekniker-ola": "technician",
    "logistikk-per": "logistics",
    "revisor-siri": "auditor",
}
WRONG_PIN = "48291307"  # a near miss, typed once at sign-in


@pytest.fixture(autouse=True)
def _no_real_usbmuxd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every iOS connection must use the lab address it was given; a fallback to the default
    # usbmuxd lands on a path that does not exist and fails instead of touching a real one.
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", str(tmp_path / "no-such-usbmuxd"))


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything any logger says, down to DEBUG (pymobiledevice3 logs its pairings)."""
    caplog.set_level(logging.DEBUG)
    yield caplog


class Cli:
    """`wipe-station …` in-process, signed in as an operator; keeps everything it printed."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.capsys = capsys
        self.monkeypatch = monkeypatch
        self.printed: list[str] = []

    def __call__(
        self,
        *args: str | Path,
        operator: str | None = None,
        pin: str | None = None,
        stdin: str = "",
        expect: int = 0,
    ) -> str:
        """Run one command; its PIN is the operator's unless ``pin`` says otherwise."""
        self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        for var, value in (
            ("WIPE_STATION_OPERATOR", operator),
            ("WIPE_STATION_PIN", pin or (PINS[operator] if operator else None)),
        ):
            if value is None:
                self.monkeypatch.delenv(var, raising=False)
            else:
                self.monkeypatch.setenv(var, value)
        with pytest.raises(SystemExit) as exc:
            main([str(a) for a in args])
        out, err = self.capsys.readouterr()
        self.printed.append(f"$ {' '.join(map(str, args))}\n{out}{err}")
        assert (exc.value.code or 0) == expect, (args, out, err)
        return out


def station_secrets(home: Path, pair_records: list[dict[str, Any]]) -> list[Needle]:
    """Every secret the station holds, in every form a leak could take."""
    keys = keys_dir(home)
    pem = (keys / KEY_FILE).read_bytes()
    private = serialization.load_pem_private_key(pem, password=None)
    raw = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    needles = [number_needle(f"PIN of {name}", pin) for name, pin in PINS.items()]
    needles.append(number_needle("mistyped PIN", WRONG_PIN))
    needles += pem_needles("station Ed25519 key", pem)
    needles += secret_needles("station Ed25519 key (raw)", raw)
    needles += pem_needles("station ADB key", (keys / "adb" / "adbkey").read_bytes())
    for i, record in enumerate(pair_records, start=1):
        needles += pem_needles(f"pair record {i} HostPrivateKey", record["HostPrivateKey"])
        needles += pem_needles(f"pair record {i} RootPrivateKey", record["RootPrivateKey"])
        needles += secret_needles(f"pair record {i} EscrowBag", record["EscrowBag"])
    return needles


def test_no_secret_leaves_the_key_directory(
    home: Path,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("WIPE_STATION_DB", sqlite_url)
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    # The WAL is folded into the database and deleted when a command closes the station, so
    # keep what the database and its WAL hold at the end of every command.
    snapshots: list[dict[str, bytes]] = []
    close = StationContext.close

    def snapshot_then_close(ctx: StationContext) -> None:
        snapshots.append(sqlite_files(db))
        close(ctx)

    monkeypatch.setattr(StationContext, "close", snapshot_then_close)
    # Verified phones lose their pair records (deleted on purpose): remember every record the
    # iOS driver ever stored, to know its secrets.
    pair_records: list[dict[str, Any]] = []
    save = PairRecordStore.save

    def remember_then_save(store: PairRecordStore, udid: str, record: dict[str, Any]) -> None:
        pair_records.append(dict(record))
        save(store, udid, record)

    monkeypatch.setattr(PairRecordStore, "save", remember_then_save)

    cli = Cli(capsys, monkeypatch)
    out = tmp_path / "exports"
    out.mkdir()
    cli(
        *("users", "add", "depot-admin", "--role", "admin", "--pin-stdin"),
        stdin=f"{PINS['depot-admin']}\n",
    )
    for name in ("tekniker-ola", "logistikk-per", "revisor-siri"):
        cli(
            *("users", "add", name, "--role", ROLES[name], "--pin-stdin"),
            operator="depot-admin",
            stdin=f"{PINS[name]}\n",
        )
    cli("certificate", "list", operator="tekniker-ola", pin=WRONG_PIN, expect=3)
    with kept_fleets(monkeypatch):  # the plain demo mix; removes the lab's socket directory
        summary = cli("demo", "--headless", "--phones", "16", operator="tekniker-ola")
    certified = re.search(r"\bcertified=(\d+)", summary)
    assert certified and int(certified[1]) > 0, summary
    listing = cli("certificate", "list", operator="tekniker-ola")
    assert listing.rstrip().endswith(f"\n{certified[1]} certificates"), listing
    number = listing.split()[0]
    cli("certificate", "export", number, "-o", out / "certificate.pdf", operator="tekniker-ola")
    cli("certificate", "batch", "-o", out / "certificates.pdf", operator="tekniker-ola")
    cli("audit", "export", "-o", out / "audit-bundle.jsonl", operator="revisor-siri")
    cli("audit", "verify", operator="revisor-siri")
    cli("audit", "sample", "--percent", "100", "-o", out / "sample.csv", operator="revisor-siri")
    for kind in ("certificates", "evidence"):
        for suffix in ("csv", "json"):
            cli("export", kind, "-o", out / f"{kind}.{suffix}", operator="revisor-siri")
    today = utcnow().date().isoformat()
    for suffix in ("csv", "pdf"):
        cli(
            *("report", "customer", DEMO_CUSTOMER_ORG, "--from", today, "--to", today),
            *("-o", out / f"report.{suffix}"),
            operator="logistikk-per",
        )
    batch = cli("batch", "create", "--recycler", "Gjenvinning AS", operator="logistikk-per")
    cli("batch", "add", batch.strip(), "--all-certified", operator="logistikk-per")
    for suffix in ("csv", "pdf"):
        cli(
            *("batch", "manifest", batch.strip(), "-o", out / f"manifest.{suffix}"),
            operator="logistikk-per",
        )
    cli(
        *("privacy", "export", "--phone", "+47 40000001", "-o", out / "subject-access.json"),
        operator="depot-admin",
    )
    cli("users", "list", operator="depot-admin")

    artefacts = Artefacts()
    for i, files in enumerate(snapshots, start=1):
        for name, data in files.items():
            artefacts.add(f"db after command {i}: {name}", data)
    for name, data in sqlite_files(db).items():
        artefacts.add(f"db at the end: {name}", data)
    artefacts.add("log", debug_logs.text)
    artefacts.add("cli output", "\n".join(cli.printed))
    for path in sorted(out.iterdir()):
        if path.suffix == ".pdf":
            for name, data in pdf_views(f"export {path.name}", path.read_bytes()):
                artefacts.add(name, data)
        else:
            artefacts.add(f"export {path.name}", path.read_bytes())
    keys = keys_dir(home)
    for path in sorted(home.rglob("*")):
        if path.is_file() and keys not in path.parents:
            artefacts.add(f"home {path.relative_to(home)}", path.read_bytes())

    # Everything was there to be searched: the run, the WAL, every export, the pair records.
    assert len(snapshots) == len(cli.printed)  # every command opened and closed the station
    assert any(files.get(f"{db.name}-wal") for files in snapshots)
    names = artefacts.names()
    for export in (
        "certificate.pdf text",
        "certificates.pdf text",
        "audit-bundle.jsonl",
        "sample.csv",
        "certificates.csv",
        "certificates.json",
        "evidence.csv",
        "evidence.json",
        "report.csv",
        "report.pdf text",
        "manifest.csv",
        "manifest.pdf text",
        "subject-access.json",
    ):
        assert artefacts.size(f"export {export}"), export
    assert any(" attachment " in n for n in names)
    assert len(pair_records) >= 8  # each of the 8 iPhones paired at least once
    assert all(
        {"HostPrivateKey", "RootPrivateKey", "EscrowBag"} <= record.keys()
        for record in pair_records
    )

    needles = station_secrets(home, pair_records)
    assert artefacts.leaks(needles) == []
    # The demo phones carry their owners' data: none of it reached an export either.
    assert artefacts.leaks(OWNER_CANARIES) == []


def test_the_search_finds_each_secret_where_a_careless_station_would_put_it(
    home: Path, sqlite_url: str, tmp_path: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    """The same search on a station that put its secrets into the audit log (database, WAL,
    bundle) and its log, in the forms a leak takes: a PIN in words, a PEM key in JSON, the raw
    key as hex, a pair record as a plist inside JSON or as a logged dict, a base64 escrow bag."""
    ctx = open_station(home, sqlite_url)
    admin = add_operator(ctx, "depot-admin", "admin", PINS["depot-admin"], by=None)
    pem = (keys_dir(home) / KEY_FILE).read_bytes()
    raw = ctx.identity.private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    host_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    record = {"HostID": "CARELESS", "HostPrivateKey": host_key, "EscrowBag": os.urandom(32)}
    careless = {
        "note": f"signed in with PIN {PINS['depot-admin']}",
        "key": pem.decode(),
        "key_hex": raw.hex(),
        "pair_record": plistlib.dumps(record).decode(),
        "escrow": base64.b64encode(record["EscrowBag"]).decode(),
    }
    with ctx.session() as s:
        audit.append(s, ctx.identity, actor_of(admin), "careless.secrets", careless)
    logging.getLogger("careless.station").debug(
        "PIN %s, station key %s, pair record %r", PINS["depot-admin"], raw.hex(), record
    )
    db = Path(sqlite_url.removeprefix("sqlite:///"))
    artefacts = Artefacts()
    for name, data in sqlite_files(db).items():
        artefacts.add(f"db:{name}", data)
    with ctx.session() as s:
        export_bundle(s, ctx.station_id, ctx.identity.public_key_pem(), tmp_path / "b.jsonl")
    artefacts.add("bundle", (tmp_path / "b.jsonl").read_bytes())
    artefacts.add("log", debug_logs.text)
    ctx.close()

    needles = [number_needle("PIN", PINS["depot-admin"])]
    needles += pem_needles("station key", pem)
    needles += secret_needles("station key (raw)", raw)
    needles += pem_needles("HostPrivateKey", host_key)
    needles += secret_needles("EscrowBag", record["EscrowBag"])
    found = {(leak.needle, leak.artefact) for leak in artefacts.leaks(needles)}
    in_records = {
        "PIN",
        "station key PEM line 1",
        "station key (raw) (hex)",
        "HostPrivateKey PEM text (base64, offset 0)",
        "EscrowBag (base64, offset 0)",
    }
    in_log = {
        "PIN",
        "station key (raw) (hex)",
        "HostPrivateKey PEM line 1",
        "HostPrivateKey PEM line 13",
        "EscrowBag (Python repr)",
    }
    for place, expected in (("db:station.db-wal", in_records), ("bundle", in_records)):
        assert {(needle, place) for needle in expected} <= found, place
    assert {(needle, "log") for needle in in_log} <= found
