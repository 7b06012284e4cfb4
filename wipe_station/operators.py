"""Operators, their PINs (argon2 hashes only) and signing in, with lockout after wrong PINs.

A PIN is never stored, logged or put in an audit event; only the fact of a failure is.
"""

from __future__ import annotations

import re
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.db.models import Operator
from wipe_station.errors import AccessDenied, SignInFailed, StationError
from wipe_station.roles import Permission, Role, allowed
from wipe_station.safe_text import visible
from wipe_station.timeutil import utcnow

MAX_WRONG_PINS = 5
LOCKOUT = timedelta(minutes=15)
_NAME_RE = re.compile(r"^[\w.\-]{2,64}$")
_PIN_RE = re.compile(r"^[0-9]{4,12}$")
_hasher = PasswordHasher()


def validate_pin(pin: str) -> None:
    # fullmatch: "$" alone would let a trailing newline through.
    if not _PIN_RE.fullmatch(pin):
        raise StationError("a PIN is 4 to 12 digits")


def validate_name(name: str) -> None:
    if not _NAME_RE.fullmatch(name):
        raise StationError(
            f"operator name {visible(name, 80)!r} must be 2-64 letters, digits, '.', '_' or '-' "
            "(no spaces)"
        )


def actor_of(op: Operator) -> audit.Actor:
    return audit.Actor(op.name, op.id, op.role)


def count_operators(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Operator)).one()


def add_operator(
    ctx: StationContext, name: str, role: str, pin: str, by: Operator | None
) -> Operator:
    """Add an operator. ``by`` is None only for the very first operator, who must be an admin."""
    validate_name(name)
    validate_pin(pin)
    try:
        role_v = Role(role)
    except ValueError as exc:
        raise StationError(
            f"unknown role {role!r}: use {', '.join(r.value for r in Role)}"
        ) from exc
    try:
        return _insert_operator(ctx, name, role_v, pin, by)
    except IntegrityError:
        # Another station added the same name between our check and our insert. The driver's
        # message would quote the row, PIN hash included: say only what happened.
        raise StationError(f"operator {name!r} exists already") from None


def _insert_operator(
    ctx: StationContext, name: str, role_v: Role, pin: str, by: Operator | None
) -> Operator:
    with ctx.session() as session:
        if by is None:
            if count_operators(session) > 0:
                raise AccessDenied("sign in as an admin to add operators")
            if role_v is not Role.ADMIN:
                raise StationError("the first operator must be an admin (--role admin)")
        if session.exec(select(Operator).where(Operator.name == name)).first():
            raise StationError(f"operator {name!r} exists already")
        op = Operator(name=name, role=role_v.value, pin_hash=_hasher.hash(pin))
        session.add(op)
        session.flush()
        actor = actor_of(by) if by else audit.Actor(name, op.id, role_v.value)
        audit.append(
            session, ctx.identity, actor, "operator.added", {"name": name, "role": role_v.value}
        )
        return op


def disable_operator(ctx: StationContext, name: str, by: Operator) -> None:
    with ctx.session() as session:
        op = session.exec(select(Operator).where(Operator.name == name)).first()
        if op is None:
            raise StationError(f"no operator named {name!r}")
        if op.id == by.id:
            raise StationError("you cannot disable yourself")
        if op.role == Role.ADMIN and not op.disabled:
            admins = session.exec(
                select(func.count())
                .select_from(Operator)
                .where(Operator.role == Role.ADMIN.value, Operator.disabled == False)  # noqa: E712
            ).one()
            if admins <= 1:
                raise StationError("cannot disable the last admin")
        op.disabled = True
        session.add(op)
        audit.append(session, ctx.identity, actor_of(by), "operator.disabled", {"name": name})


def list_operators(ctx: StationContext) -> list[Operator]:
    with ctx.session() as session:
        return list(session.exec(select(Operator).order_by(Operator.name)).all())


def sign_in(ctx: StationContext, name: str, pin: str) -> Operator:
    """Check a PIN. Failures are counted and audited in their own transaction, so they stick."""
    now = utcnow()
    with ctx.session() as session:
        op = session.exec(select(Operator).where(Operator.name == name)).first()
        if op is None or op.disabled:
            # Same words for "unknown" and "disabled" would hide too much from a depot admin.
            raise SignInFailed(f"no active operator named {name!r}")
        if op.locked_until is not None and op.locked_until > now:
            until = op.locked_until.strftime("%H:%M UTC")
            raise SignInFailed(f"operator {name} is locked until {until} after wrong PINs")
        try:
            _hasher.verify(op.pin_hash, pin)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            op.failed_pins += 1
            payload: dict[str, object] = {"name": name, "failed": op.failed_pins}
            if op.failed_pins >= MAX_WRONG_PINS:
                op.locked_until = now + LOCKOUT
                op.failed_pins = 0
                payload["locked_until"] = op.locked_until.isoformat()
                minutes = int(LOCKOUT.total_seconds() // 60)
                action = "auth.locked"
                msg = f"wrong PIN; operator {name} is locked for {minutes} minutes"
            else:
                left = MAX_WRONG_PINS - op.failed_pins
                action, msg = "auth.failed", f"wrong PIN for {name} ({left} attempts left)"
            session.add(op)
            audit.append(session, ctx.identity, audit.Actor(name, op.id, op.role), action, payload)
            session.commit()
            raise SignInFailed(msg) from None
        if op.failed_pins or op.locked_until:
            op.failed_pins, op.locked_until = 0, None
            session.add(op)
        return op


def record_session(ctx: StationContext, op: Operator, action: str, **details: object) -> None:
    """Audit a UI session starting ("auth.signed_in") or ending ("auth.signed_out")."""
    if action not in ("auth.signed_in", "auth.signed_out"):
        raise ValueError(f"not a session event: {action}")
    with ctx.session() as session:
        audit.append(session, ctx.identity, actor_of(op), action, dict(details))


def authorize(ctx: StationContext, op: Operator, permission: Permission) -> None:
    """Raise AccessDenied (and audit the refusal) unless ``op``'s role grants ``permission``."""
    if allowed(op.role, permission):
        return
    with ctx.session() as session:
        audit.append(
            session,
            ctx.identity,
            actor_of(op),
            "access.denied",
            {"permission": permission.value, "role": op.role},
        )
    raise AccessDenied(f"{op.name} ({op.role}) may not {permission.value.replace('_', ' ')}")
