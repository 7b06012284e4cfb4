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
    tech = add_operator(ctx, DEMO_OPERATOR, "technician", DEMO_PIN, by=admin)
    ensure_demo_people(ctx)
    return tech


# A demo home also shows the depot's other jobs: a customer whose return list announced the lab
# phones (all but every eighth, so unmatched phones show up too), and one operator per role.
DEMO_CUSTOMER_ORG = "998000009"
DEMO_CUSTOMER_NAME = "Demo Leasing AS"
DEMO_ROLES = {"demo-logistics": "logistics", "demo-auditor": "auditor"}
UNANNOUNCED_EVERY = 8


def ensure_demo_people(ctx: StationContext) -> None:
    """Create the demo customer and the logistics and auditor operators if missing."""
    from datetime import timedelta

    from wipe_station.audit.log import SYSTEM_ACTOR
    from wipe_station.customers import add_customer
    from wipe_station.db.models import Customer
    from wipe_station.timeutil import utcnow

    with ctx.session() as s:
        admin = s.exec(select(Operator).where(Operator.name == DEMO_ADMIN)).first()
        have = set(s.exec(select(Operator.name)).all())
        has_customer = s.exec(
            select(Customer.id).where(Customer.org_number == DEMO_CUSTOMER_ORG)
        ).first()
    if admin is not None:
        for name, role in DEMO_ROLES.items():
            if name not in have:
                add_operator(ctx, name, role, DEMO_PIN, by=admin)
    if has_customer is None:
        end = utcnow().date() + timedelta(days=365)
        add_customer(ctx, SYSTEM_ACTOR, DEMO_CUSTOMER_ORG, DEMO_CUSTOMER_NAME, end)


def announce_demo_returns(ctx: StationContext, identities: list[tuple[str, str | None]]) -> int:
    """Import the demo customer's return list for the lab fleet; returns the lines loaded."""
    from wipe_station.audit.log import SYSTEM_ACTOR
    from wipe_station.db.models import IntakeLine
    from wipe_station.intake import import_text

    ensure_demo_people(ctx)
    with ctx.session() as s:
        known = set(s.exec(select(IntakeLine.serial)).all())
    rows = ["org_number;serial;imei;employee_name;employee_phone;reason"]
    for i, (serial, imei) in enumerate(identities):
        if i % UNANNOUNCED_EVERY == UNANNOUNCED_EVERY - 1 or serial in known:
            continue
        rows.append(
            f"{DEMO_CUSTOMER_ORG};{serial};{imei or ''};Demo Employee {i + 1:03d};"
            f"+47 400{i + 1:05d};{'swap' if i % 3 else 'end of lease'}"
        )
    if len(rows) == 1:
        return 0
    result = import_text(ctx, SYSTEM_ACTOR, "\r\n".join(rows) + "\r\n", "demo-returns.csv")
    return len(result.loaded)
