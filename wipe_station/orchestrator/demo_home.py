"""Demo mode's rules: lab phones never mix with real erasures, and someone is signed in."""

from __future__ import annotations

from sqlmodel import col, select

from wipe_station.context import StationContext
from wipe_station.db.models import Device, Operator
from wipe_station.errors import StationError
from wipe_station.operators import add_operator, count_operators, sign_in

DEMO_OPERATOR = "demo-technician"
DEMO_ADMIN = "demo-admin"
DEMO_PIN = "1234"


def refuse_real_erasures(ctx: StationContext) -> None:
    with ctx.session() as s:
        real = s.exec(select(Device.id).where(col(Device.emulated).is_(False)).limit(1)).first()
    if real is not None:
        raise StationError(
            f"{ctx.home} holds real erasures; demo mode refuses it (use --home for a demo home)"
        )


def demo_operator(ctx: StationContext, name: str | None, pin: str | None) -> Operator:
    """Sign in as the given operator, or in an empty home create the demo operators.

    A demo home holds only lab phones, so its operators have a documented PIN (DEMO_PIN): a
    newcomer can sign in to the demo UI, export certificates and try batches. Demo mode refuses
    homes with real erasures, so this PIN never guards real records.
    """
    if name:
        if pin is None:
            raise StationError("set WIPE_STATION_PIN for the demo operator")
        return sign_in(ctx, name, pin)
    with ctx.session() as s:
        existing = s.exec(select(Operator).where(Operator.name == DEMO_OPERATOR)).first()
        if existing is not None:
            return existing
        if count_operators(s) > 0:
            raise StationError("this home has operators: sign in with WIPE_STATION_OPERATOR/PIN")
    add_operator(ctx, DEMO_ADMIN, "admin", DEMO_PIN, by=None)
    with ctx.session() as s:
        admin = s.exec(select(Operator).where(Operator.name == DEMO_ADMIN)).one()
    return add_operator(ctx, DEMO_OPERATOR, "technician", DEMO_PIN, by=admin)
