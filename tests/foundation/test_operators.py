from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import select

from wipe_station.context import StationContext
from wipe_station.db.models import AuditEvent, Operator
from wipe_station.errors import AccessDenied, SignInFailed, StationError
from wipe_station.operators import (
    MAX_WRONG_PINS,
    add_operator,
    authorize,
    disable_operator,
    sign_in,
)
from wipe_station.roles import Permission


def test_first_operator_must_be_admin(station: StationContext) -> None:
    with pytest.raises(StationError, match="first operator must be an admin"):
        add_operator(station, "tech1", "technician", "1234", by=None)
    admin = add_operator(station, "boss", "admin", "1234", by=None)
    assert admin.role == "admin"
    with pytest.raises(AccessDenied, match="sign in as an admin"):
        add_operator(station, "sneaky", "admin", "1234", by=None)


def test_pins_are_hashed_with_argon2_and_never_stored_or_audited(
    station: StationContext, admin: Operator
) -> None:
    add_operator(station, "tech1", "technician", "97531", by=admin)
    with pytest.raises(SignInFailed):
        sign_in(station, "tech1", "86420")
    with station.engine.connect() as conn:
        dump = "\n".join(
            str(r)
            for t in ("operators", "audit_events")
            for r in conn.execute(text(f"SELECT * FROM {t}"))
        )
    assert "97531" not in dump and "86420" not in dump
    with station.session() as s:
        op = s.exec(select(Operator).where(Operator.name == "tech1")).one()
    assert op.pin_hash.startswith("$argon2id$")


def test_bad_names_and_pins_are_refused(station: StationContext) -> None:
    with pytest.raises(StationError, match="4 to 12 digits"):
        add_operator(station, "boss", "admin", "12ab", by=None)
    with pytest.raises(StationError, match="no spaces"):
        add_operator(station, "two words", "admin", "1234", by=None)
    with pytest.raises(StationError, match="unknown role"):
        add_operator(station, "boss", "wizard", "1234", by=None)


def test_five_wrong_pins_lock_the_operator_out(station: StationContext, admin: Operator) -> None:
    add_operator(station, "tech1", "technician", "1111", by=admin)
    for attempt in range(1, MAX_WRONG_PINS):
        with pytest.raises(SignInFailed, match=f"{MAX_WRONG_PINS - attempt} attempts left"):
            sign_in(station, "tech1", "0000")
    with pytest.raises(SignInFailed, match="locked for 15 minutes"):
        sign_in(station, "tech1", "0000")
    # Even the right PIN is refused while locked.
    with pytest.raises(SignInFailed, match="locked until"):
        sign_in(station, "tech1", "1111")
    with station.session() as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.operator == "tech1")).all()
    assert actions.count("auth.failed") == MAX_WRONG_PINS - 1
    assert actions.count("auth.locked") == 1


def test_right_pin_resets_the_failure_count(station: StationContext, admin: Operator) -> None:
    add_operator(station, "tech1", "technician", "1111", by=admin)
    for _ in range(MAX_WRONG_PINS - 1):
        with pytest.raises(SignInFailed):
            sign_in(station, "tech1", "0000")
    assert sign_in(station, "tech1", "1111").name == "tech1"
    with pytest.raises(SignInFailed, match=f"{MAX_WRONG_PINS - 1} attempts left"):
        sign_in(station, "tech1", "0000")


def test_disabled_operator_cannot_sign_in(station: StationContext, admin: Operator) -> None:
    add_operator(station, "tech1", "technician", "1111", by=admin)
    disable_operator(station, "tech1", by=admin)
    with pytest.raises(SignInFailed, match="no active operator"):
        sign_in(station, "tech1", "1111")
    with pytest.raises(StationError, match=r"last admin|yourself"):
        disable_operator(station, "admin1", by=admin)


def test_refusal_is_audited(station: StationContext, admin: Operator) -> None:
    tech = add_operator(station, "tech1", "technician", "1111", by=admin)
    with pytest.raises(AccessDenied, match=r"tech1 \(technician\) may not manage users"):
        authorize(station, tech, Permission.MANAGE_USERS)
    with station.session() as s:
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
    assert ev.operator == "tech1" and "manage_users" in ev.payload
