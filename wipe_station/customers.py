"""Customers (the employers who lease the phones) and their contract end, which drives retention."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select
from stdnum.exceptions import ValidationError
from stdnum.no import orgnr

from wipe_station import dates
from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.db.models import Customer
from wipe_station.errors import StationError


def normalise_org_number(raw: str) -> str:
    """A Norwegian organisation number: 9 digits with a valid mod-11 check digit."""
    try:
        return str(orgnr.validate(raw))
    except ValidationError as exc:
        raise StationError(f"{raw!r} is not a valid Norwegian organisation number ({exc})") from exc


def add_customer(
    ctx: StationContext, actor: audit.Actor, org: str, name: str, contract_end: date | None
) -> Customer:
    number = normalise_org_number(org)
    if not name.strip():
        raise StationError("a customer needs a name")
    if contract_end is not None:
        dates.check(contract_end, "contract end")
    with ctx.session() as s:
        if s.exec(select(Customer).where(Customer.org_number == number)).first():
            raise StationError(f"customer {number} exists already")
        cust = Customer(org_number=number, name=name.strip(), contract_end=contract_end)
        s.add(cust)
        s.flush()
        audit.append(
            s,
            ctx.identity,
            actor,
            "customer.added",
            {
                "org_number": number,
                "name": cust.name,
                "contract_end": contract_end.isoformat() if contract_end else None,
            },
        )
        return cust


def set_contract_end(
    ctx: StationContext, actor: audit.Actor, org: str, contract_end: date | None
) -> Customer:
    number = normalise_org_number(org)
    if contract_end is not None:
        dates.check(contract_end, "contract end")
    with ctx.session() as s:
        cust = s.exec(select(Customer).where(Customer.org_number == number)).first()
        if cust is None:
            raise StationError(f"no customer {number}")
        cust.contract_end = contract_end
        s.add(cust)
        audit.append(
            s,
            ctx.identity,
            actor,
            "customer.contract_end",
            {
                "org_number": number,
                "contract_end": contract_end.isoformat() if contract_end else None,
            },
        )
        return cust


def list_customers(ctx: StationContext) -> list[Customer]:
    with ctx.session() as s:
        return list(s.exec(select(Customer).order_by(col(Customer.name))).all())
