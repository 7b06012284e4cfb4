"""`wipe-station retention run`: anonymise expired personal data, purge old accounting records."""

from __future__ import annotations

import click

from wipe_station import retention as retention_core
from wipe_station import settings as settings_core
from wipe_station.cli.runtime import Runtime, pass_runtime
from wipe_station.operators import actor_of
from wipe_station.roles import Permission


@click.group()
def retention() -> None:
    """Retention rules of the privacy statement."""


# The periods are settings: the help names them (and their defaults) instead of numbers that
# would be wrong on a depot that changed them; `settings get KEY` says the current value.
_D = settings_core.DEFAULTS
_RUN_HELP = f"""Anonymise employee names, phone numbers and free text of customers whose contract
ended more than `retention.personal_months` months ago (a setting, default
{_D["retention.personal_months"]}); purge certificates and evidence older than
`retention.accounting_years` years (default {_D["retention.accounting_years"]}) of phones that
have left the depot. The audit log stays verifiable. See the current periods with
`settings list`.

Exit status: 0 done, 1 a customer was skipped (named on stderr; the others went ahead)."""


@retention.command(
    "run",
    help=_RUN_HELP,
    short_help="Anonymise and purge what the retention settings say is due.",
)
@click.option(
    "--dry-run", is_flag=True, help="Say what would be anonymised or purged; change nothing."
)
@pass_runtime
def run(rt: Runtime, dry_run: bool) -> None:
    op = rt.operator(Permission.RETENTION)
    plan = retention_core.run(rt.station(), actor_of(op), dry_run=dry_run)
    verb = "would anonymise" if dry_run else "anonymised"
    for c in plan.customers:
        click.echo(
            f"{verb} customer {c.org_number} (contract ended {c.contract_end}, deadline "
            f"{c.deadline}): {c.intake_lines} intake lines, {c.devices} phones, "
            f"{c.audit_values} audit values"
        )
    if plan.unowned_devices:
        click.echo(
            f"{verb} {len(plan.unowned_devices)} phones with no customer, handed over more than "
            f"{plan.personal_months} months ago ({plan.unowned_audit_values} audit values)"
        )
    verb = "would purge" if dry_run else "purged"
    click.echo(
        f"{verb} {len(plan.certificates)} certificates and {plan.evidence} evidence rows "
        f"issued before {plan.purge_before} ({plan.accounting_years}-year accounting period)"
    )
    if plan.compacted:
        click.echo(f"database compacted ({plan.compacted})")
    if dry_run:
        click.echo("dry run: nothing was changed")
    for reason in plan.skipped:  # the other customers went ahead; this one needs a person
        click.echo(f"skipped {reason}", err=True)
    if plan.skipped:
        click.get_current_context().exit(1)


@retention.command(
    "compact",
    short_help="Rewrite the database files so anonymised values leave the disk (quiet hour).",
)
@click.option(
    "--now",
    is_flag=True,
    help="PostgreSQL: rewrite even while other stations are connected (they wait meanwhile).",
)
@pass_runtime
def compact(rt: Runtime, now: bool) -> None:
    """Rewrite the database files so that no page that held an anonymised or purged value is
    left. On SQLite `retention run` already zeroes those values (secure_delete) and empties the
    WAL; this also VACUUMs, giving free pages back to the disk. On PostgreSQL `retention run`
    rewrites the tables only when no other station is connected, as the rewrite locks them
    out for as long as it takes. Run this in a quiet hour; with other stations connected it
    refuses unless --now.

    Exit status: 0 done, 2 other stations are connected (PostgreSQL, without --now)."""
    from wipe_station.errors import StationError

    rt.operator(Permission.RETENTION)
    ctx = rt.station()
    if ctx.engine.dialect.name == "postgresql" and not now:
        others = retention_core.other_connections(ctx)
        if others:
            raise StationError(
                f"{others} other connections to this database: the rewrite would lock them out; "
                "run it when the stations are idle, or add --now"
            )
    click.echo(f"database compacted ({retention_core.compact(ctx, rewrite=True)})")
