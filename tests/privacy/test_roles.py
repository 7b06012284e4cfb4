"""Each role can do exactly its job: every CLI command against every role, refusals audited.

The matrix is built from the command tree itself, so a new command without a role check (or
without an entry here) fails this test."""

from __future__ import annotations

import io
from pathlib import Path

import click
import pytest
from sqlmodel import func, select

from wipe_station.cli.main import COMMANDS, LazyGroup, cli, main
from wipe_station.context import open_station
from wipe_station.db.models import AuditEvent
from wipe_station.operators import add_operator
from wipe_station.roles import GRANTS, Permission, Role

P = Permission
# Command path -> (arguments after the path, the permission it needs).
MATRIX: dict[str, tuple[list[str], Permission]] = {
    "customers add": (["974760673", "--name", "Acme AS"], P.MANAGE_CUSTOMERS),
    "customers set": (["974760673", "--contract-end", "2027-01-01"], P.MANAGE_CUSTOMERS),
    "customers list": ([], P.MANAGE_CUSTOMERS),
    "users add": (["newbie", "--role", "technician", "--pin-stdin"], P.MANAGE_USERS),
    "users list": ([], P.MANAGE_USERS),
    "users disable": (["nobody"], P.MANAGE_USERS),
    "intake import": (["{tmp}/in.csv"], P.IMPORT_INTAKE),
    "intake list": ([], P.IMPORT_INTAKE),
    "intake unmatched": ([], P.IMPORT_INTAKE),
    "intake assign": (["SER1", "--customer", "974760673"], P.IMPORT_INTAKE),
    "batch create": (["--recycler", "R"], P.MANAGE_BATCHES),
    "batch add": (["RB-X", "SER1"], P.MANAGE_BATCHES),
    "batch remove": (["RB-X", "SER1"], P.MANAGE_BATCHES),
    "batch close": (["RB-X"], P.MANAGE_BATCHES),
    "batch handover": (["RB-X", "--received-by", "Ola"], P.MANAGE_BATCHES),
    "batch list": ([], P.MANAGE_BATCHES),
    "batch manifest": (["RB-X", "-o", "{tmp}/m.pdf"], P.MANAGE_BATCHES),
    "batch release": (["SER1", "--reason", "back from the recycler"], P.RELEASE_QUARANTINE),
    "report customer": (
        ["974760673", "--from", "2026-01-01", "--to", "2026-12-31", "-o", "{tmp}/r.csv"],
        P.REPORTS,
    ),
    "export": (["certificates", "-o", "{tmp}/c.csv"], P.EXPORT_RECORDS),
    "audit verify": ([], P.VERIFY_AUDIT),
    "station verifier": (["-o", "{tmp}/verify.html"], P.VERIFY_AUDIT),
    "audit export": (["-o", "{tmp}/bundle.json"], P.EXPORT_AUDIT),
    "audit sample": (["--percent", "10"], P.EXPORT_RECORDS),
    "certificate list": ([], P.PRINT_CERTIFICATES),
    "certificate export": (["WS-NONE", "-o", "{tmp}/c.pdf"], P.PRINT_CERTIFICATES),
    "certificate batch": (["-o", "{tmp}/all.pdf"], P.PRINT_CERTIFICATES),
    "certificate release": (["SER1"], P.RELEASE_ERASURE),
    "device erase-again": (["SER1"], P.WIPE),
    "certificate labels": (["WS-NONE"], P.PRINT_CERTIFICATES),
    "retention run": (["--dry-run"], P.RETENTION),
    "retention compact": ([], P.RETENTION),
    "privacy export": (["--phone", "+4791234567", "-o", "{tmp}/p.json"], P.PRIVACY_EXPORT),
    "settings list": ([], P.SETTINGS),
    "settings get": (["depot.location"], P.SETTINGS),
    "settings set": (["depot.location", "Oslo"], P.SETTINGS),
}
# Commands that touch no records: public facts, the lab, offline checks, the demo's own home.
PUBLIC = {
    "station init",  # sets up its own home, as `users add` on an empty one; no records read
    "station public-key",
    "station info",
    # A lost database has no operators to sign in: whoever owns the home (and its key) decides.
    "station start-over",
    "certificate verify",
    "batch verify",
    "lab android",
    "lab ios",
    "udev print",
    "udev install",
    "udev check",
    "demo",
    "doctor",  # reads the bench and the database's health, no records
}


def _leaves(group: click.Group, ctx: click.Context, prefix: str = "") -> list[str]:
    out = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        path = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            out += _leaves(cmd, ctx, path + " ")
        else:
            out.append(path)
    return out


def test_every_command_is_in_the_matrix() -> None:
    assert isinstance(cli, LazyGroup) and COMMANDS
    ctx = click.Context(cli)
    leaves = set(_leaves(cli, ctx))
    assert leaves - set(MATRIX) - PUBLIC == set(), "commands with no role decision"
    assert set(MATRIX) - leaves == set(), "matrix names commands that do not exist"


def _denied(home: Path) -> int:
    ctx = open_station(home)
    try:
        with ctx.session() as s:
            return s.exec(select(func.count()).where(AuditEvent.action == "access.denied")).one()
    finally:
        ctx.engine.dispose()


def test_role_by_action_matrix(
    home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = open_station(home)
    admin = add_operator(ctx, "root", "admin", "1111", by=None)
    for role in Role:
        add_operator(ctx, f"as-{role.value}", role.value, "2222", by=admin)
    ctx.engine.dispose()
    (tmp_path / "in.csv").write_text("org;serial\n974760673;SER1\n")
    monkeypatch.setenv("WIPE_STATION_PIN", "2222")
    failures = []
    for role in Role:
        monkeypatch.setenv("WIPE_STATION_OPERATOR", f"as-{role.value}")
        for path, (args, permission) in MATRIX.items():
            argv = path.split() + [a.replace("{tmp}", str(tmp_path)) for a in args]
            before = _denied(home)
            monkeypatch.setattr("sys.stdin", io.StringIO("3333\n"))
            with pytest.raises(SystemExit) as exc:
                main(argv)
            code = int(exc.value.code or 0)
            _, err = capsys.readouterr()
            refused = code == 3 and "may not" in err
            expected_refusal = permission not in GRANTS[role]
            if refused != expected_refusal:
                failures.append(f"{role.value}: {path} -> exit {code}: {err.strip()[:120]}")
            elif refused and _denied(home) != before + 1:
                failures.append(f"{role.value}: {path} refused without an audit event")
    assert failures == []


def test_the_grants_are_the_jobs_the_privacy_statement_names() -> None:
    assert GRANTS[Role.ADMIN] == frozenset(Permission)
    assert {P.WIPE, P.CERTIFY} <= GRANTS[Role.TECHNICIAN]
    assert {P.MANAGE_BATCHES, P.REPORTS, P.PRINT_CERTIFICATES} <= GRANTS[Role.LOGISTICS]
    assert {P.VERIFY_AUDIT, P.EXPORT_AUDIT} <= GRANTS[Role.AUDITOR]
    # Nobody but an admin sees personal data wholesale, runs retention or manages users.
    for role in (Role.TECHNICIAN, Role.LOGISTICS, Role.AUDITOR):
        assert not {P.PRIVACY_EXPORT, P.RETENTION, P.MANAGE_USERS, P.SETTINGS} & GRANTS[role]
    # Auditors only read: no wiping, batching or changing records.
    assert not {P.WIPE, P.CERTIFY, P.MANAGE_BATCHES, P.QUARANTINE} & GRANTS[Role.AUDITOR]
