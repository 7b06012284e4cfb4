"""The aggregated report for an employer (the customer): how many of its phones were erased, by
month, model and outcome. The caller aggregates; this module only draws, and shows every count
below five as "<5" so no single employee's phone can be picked out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.platypus import Flowable, KeepTogether, Table

from certificates.labels import L
from certificates.tables import FRAME_W, Heading, Title, both, build, facts, gap, table

SMALL_COUNT = 5


@dataclass(frozen=True)
class CountRow:
    label: str  # a month ("2026-11"), a model, or an outcome
    count: int


@dataclass(frozen=True)
class EmployerReport:
    customer_name: str
    customer_org_number: str
    period_start: str  # ISO date
    period_end: str  # ISO date
    generated_at: str
    by_month: tuple[CountRow, ...]
    by_model: tuple[CountRow, ...]
    by_outcome: tuple[CountRow, ...]


def shown_count(n: int) -> str:
    if n < 0:
        raise ValueError(f"negative count {n}")
    return f"<{SMALL_COUNT}" if n < SMALL_COUNT else str(n)


def _counts(rows: Sequence[CountRow], key: str) -> Table:
    # No total row: with one small count hidden, a total would give it away.
    body = [[r.label, shown_count(r.count)] for r in rows]
    header = ["\n".join(L[key]), "\n".join(L["count"])]
    return table(header, body, (FRAME_W - 90, 90), right_align=(1,))


def render_report(report: EmployerReport) -> bytes:
    customer = f"{report.customer_name} (org.nr. {report.customer_org_number})"
    period = f"{report.period_start} – {report.period_end}"
    story: list[Flowable] = [
        Title(*L["r_title"], subtitle="{} · {}".format(*L["r_subtitle"])),
        facts(
            [
                (both("customer"), customer),
                (both("period"), period),
                (both("generated"), report.generated_at),
            ]
        ),
        gap(10),
    ]
    for section, key, rows in (
        ("s_by_month", "month", report.by_month),
        ("s_by_model", "model", report.by_model),
        ("s_by_outcome", "outcome", report.by_outcome),
    ):
        story += [KeepTogether([Heading(*L[section]), _counts(rows, key)]), gap(10)]
    return build(
        story,
        title=f"{L['r_title'][1]} {report.customer_name} {period}",
        subject=both("r_title"),
        footer=f"{both('r_title')} · {customer} · {period}",
    )
