"""The employer's report: aggregate counts only, as the privacy statement promises.

The query reads identifiers to group by, but what leaves this module holds none: only months,
models, outcomes and counts. Small counts become "<5" in every output (PDF and CSV).
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, date, datetime, time

from sqlmodel import col, select

from certificates.report import CountRow, EmployerReport, shown_count
from wipe_station import csv_safe
from wipe_station.audit import log as audit
from wipe_station.context import StationContext
from wipe_station.customers import normalise_org_number
from wipe_station.db.models import Certificate, Customer, Device, WipeJob
from wipe_station.errors import StationError
from wipe_station.lifecycle import DeviceState
from wipe_station.listings import stream
from wipe_station.timeutil import utcnow

S = DeviceState
# Outcome labels (bokmål / English), grouped so a customer sees what matters to them.
OUTCOMES: dict[DeviceState, str] = {
    S.CERTIFIED: "Slettet og sertifisert / Erased and certified",
    S.IN_BATCH: "Slettet og sertifisert / Erased and certified",
    S.HANDED_OVER: "Slettet, levert til gjenvinning / Erased, handed over for recycling",
    S.BLOCKED: "Sperret (konto, MDM eller SIM) / Blocked (account, MDM or SIM)",
    S.FAILED: "Sletting mislyktes, følges opp / Erasure failed, being followed up",
    S.INTERRUPTED: "Sletting mislyktes, følges opp / Erasure failed, being followed up",
    S.QUARANTINED: "Satt til side / Set aside (quarantine)",
}
IN_PROGRESS = "Under arbeid / In progress"
# Certified phones are counted by how the erasure was verified (see drivers.contract).
LEVELS = {
    "readback": "avlest fra telefonen / read back from the phone",
    "attested": "bekreftet av tekniker / attested by the technician",
}
CERTIFIED_STATES = {S.CERTIFIED, S.IN_BATCH, S.HANDED_OVER}


def _outcome(state: str, level: str | None) -> str:
    label = OUTCOMES.get(S(state), IN_PROGRESS)
    if S(state) in CERTIFIED_STATES and level in LEVELS:
        return f"{label} ({LEVELS[level]})"
    return label


def customer_report(
    ctx: StationContext, actor: audit.Actor, org: str, start: date, end: date
) -> EmployerReport:
    """Phones of ``org`` received at the depot from ``start`` to ``end`` (inclusive)."""
    if end < start:
        raise StationError(f"the period ends ({end}) before it starts ({start})")
    number = normalise_org_number(org)
    with ctx.session() as s:
        cust = s.exec(select(Customer).where(Customer.org_number == number)).first()
        if cust is None:
            raise StationError(f"no customer {number}")
        # Streamed: five years of a big customer's phones are counted, never held.
        rows = stream(
            s,
            select(
                Device.created_at,
                Device.manufacturer,
                Device.model,
                Device.state,
                WipeJob.verification_level,
            )
            .outerjoin(
                Certificate,
                # The current certificate only: a superseded one would count the phone twice.
                (col(Certificate.device_id) == Device.id)
                & col(Certificate.superseded_by_id).is_(None),
            )
            .outerjoin(WipeJob, col(WipeJob.id) == Certificate.job_id)
            .where(Device.customer_id == cust.id)
            .where(col(Device.created_at) >= datetime.combine(start, time(), UTC))
            .where(col(Device.created_at) <= datetime.combine(end, time.max, UTC)),
        )
        months: Counter[str] = Counter()
        models: Counter[str] = Counter()
        outcomes: Counter[str] = Counter()
        for created, make, model, state, level in rows:
            months[created.strftime("%Y-%m")] += 1
            models[f"{make} {model}".strip() or "?"] += 1
            outcomes[_outcome(state, level)] += 1
        audit.append(
            s,
            ctx.identity,
            actor,
            "report.customer",
            {"customer": number, "from": start.isoformat(), "to": end.isoformat()},
        )
        return EmployerReport(
            customer_name=cust.name,
            customer_org_number=cust.org_number,
            period_start=start.isoformat(),
            period_end=end.isoformat(),
            generated_at=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
            by_month=tuple(CountRow(k, v) for k, v in sorted(months.items())),
            by_model=tuple(CountRow(k, v) for k, v in sorted(models.items())),
            by_outcome=tuple(CountRow(k, v) for k, v in sorted(outcomes.items())),
        )


def report_csv(report: EmployerReport) -> str:
    out = io.StringIO()
    w = csv_safe.writer(out)  # customer and model names: never a formula in a spreadsheet
    w.writerow(["customer", report.customer_name, report.customer_org_number])
    w.writerow(["period", report.period_start, report.period_end])
    w.writerow(["note", 'aggregated counts only; counts below 5 are shown as "<5"'])
    w.writerow(["section", "label", "count"])
    for section, rows in (
        ("month", report.by_month),
        ("model", report.by_model),
        ("outcome", report.by_outcome),
    ):
        for row in rows:
            w.writerow([section, row.label, shown_count(row.count)])
    return out.getvalue()
