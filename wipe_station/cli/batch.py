"""`wipe-station batch …`: recycling batches, from the first scanned phone to the hand-over."""

from __future__ import annotations

from pathlib import Path

import click

from wipe_station import batches
from wipe_station.cli.runtime import (
    Runtime,
    how_many,
    limit_option,
    output_file,
    output_or_print_folder,
    pass_runtime,
    print_option,
    send_to_printer,
    verify_file,
    write_file,
)
from wipe_station.errors import StationError
from wipe_station.operators import actor_of
from wipe_station.roles import Permission
from wipe_station.safe_text import visible


@click.group(short_help="Recycling batches: create, fill, close, hand over, manifest.")
def batch() -> None:
    """Recycling batches: create, add certified phones, close, hand over, print the manifest."""


@batch.command("create")
@click.option("--recycler", required=True, help="The recycler that will receive the batch.")
@pass_runtime
def create(rt: Runtime, recycler: str) -> None:
    """Open a new batch; prints its code."""
    op = rt.operator(Permission.MANAGE_BATCHES)
    b = batches.create_batch(rt.station(), actor_of(op), recycler)
    click.echo(b.code)


@batch.command("add", short_help="Add certified phones to an open batch (exit 1 if any refused).")
@click.argument("code")
@click.argument("phones", nargs=-1, metavar="SERIAL|IMEI...")
@click.option(
    "--all-certified",
    is_flag=True,
    help="Add every certified phone of this station (or --station) not yet in a batch.",
)
@click.option(
    "--station",
    "station_id",
    help="With --all-certified: take that station's phones instead of this station's.",
)
@click.pass_context
def add(
    click_ctx: click.Context,
    code: str,
    phones: tuple[str, ...],
    all_certified: bool,
    station_id: str | None,
) -> None:
    """Add certified phones to open batch CODE, by serial or scanned IMEI, or every certified
    phone of this station not yet in a batch (--all-certified; --station ID for another
    station's on a shared database).

    Exit status: 0 all added, 1 some refused (each named with its reason on stderr), 2 none to
    add or no such batch."""
    rt: Runtime = click_ctx.obj
    op = rt.operator(Permission.MANAGE_BATCHES)
    if station_id is not None and not all_certified:
        raise StationError("--station goes with --all-certified")
    # --all-certified alone, with none waiting: that is the reason nothing can be added.
    if all_certified and not phones and not batches.waiting_for_batch(rt.station(), station_id):
        who = f"station {station_id}" if station_id else "this station"
        raise StationError(f"no certified phones of {who} are waiting for a batch")
    if not phones and not all_certified:
        raise StationError("name phones by serial or IMEI, or use --all-certified")
    refused = 0
    for ident in phones:
        try:
            dev = batches.add_phone(rt.station(), actor_of(op), code, ident)
        except StationError as exc:
            refused += 1
            click.echo(f"refused {visible(ident)}: {visible(exc)}", err=True)
            continue
        click.echo(f"added {visible(dev.serial)}")
    if all_certified:
        added, refusals = batches.add_all_certified(rt.station(), actor_of(op), code, station_id)
        for dev in added:
            click.echo(f"added {visible(dev.serial)}")
        for serial, why in refusals:
            refused += 1
            click.echo(f"refused {visible(serial)}: {visible(why)}", err=True)
    if refused:
        click_ctx.exit(1)


@batch.command("remove")
@click.argument("code")
@click.argument("phone", metavar="SERIAL|IMEI")
@pass_runtime
def remove(rt: Runtime, code: str, phone: str) -> None:
    """Take a phone out of an open batch."""
    op = rt.operator(Permission.MANAGE_BATCHES)
    dev = batches.remove_phone(rt.station(), actor_of(op), code, phone)
    click.echo(f"removed {dev.serial}")


@batch.command("close")
@click.argument("code")
@pass_runtime
def close(rt: Runtime, code: str) -> None:
    """Close a packed batch: no more phones go in."""
    op = rt.operator(Permission.MANAGE_BATCHES)
    b = batches.close_batch(rt.station(), actor_of(op), code)
    click.echo(f"closed {b.code}")


@batch.command("handover", short_help="Record the hand-over; the batch is frozen from then on.")
@click.argument("code")
@click.option("--received-by", required=True, help="Who signed for the batch at the recycler.")
@pass_runtime
def handover(rt: Runtime, code: str, received_by: str) -> None:
    """Record the hand-over; the batch and its phones are frozen from now on."""
    op = rt.operator(Permission.MANAGE_BATCHES)
    b = batches.hand_over(rt.station(), actor_of(op), code, received_by)
    click.echo(f"handed over {b.code} to {visible(b.recycler)}")


@batch.command("list", short_help="List batches, newest first, with their phone counts.")
@click.option(
    "--state",
    type=click.Choice([s.value for s in batches.BatchState]),
    help="Only batches in this state.",
)
@limit_option
@pass_runtime
def list_(rt: Runtime, state: str | None, limit: int) -> None:
    """List batches, newest first, with their state and number of phones, and say how many
    there are."""
    rt.operator(Permission.MANAGE_BATCHES)
    ctx = rt.station()
    total = batches.count_batches(ctx, state)
    rows = batches.list_batches(ctx, state, newest=limit or None)
    if not rows:
        click.echo(f"no {state} batches" if state else "no batches")
        return
    for b in rows:
        when = b.handed_over_at.date().isoformat() if b.handed_over_at else "-"
        recycler = visible(b.recycler)  # typed text: controls shown, not run
        click.echo(f"{b.code:<24} {b.state:<12} {b.phones:>5} phones  {recycler}  {when}")
    what = f"{state} batches" if state else "batches"
    click.echo(how_many(len(rows), total, what))


@batch.command("manifest", short_help="Write the hand-over manifest (.pdf, signed; or .csv).")
@click.argument("code")
@output_file(required=False, help="Manifest to write: .pdf (signature lines) or .csv.")
@print_option
@pass_runtime
def manifest(rt: Runtime, code: str, output: Path | None, print_to: str | None) -> None:
    """Write the hand-over manifest as PDF (signature lines) or CSV, by the file's extension;
    with --print alone, a PDF kept in <home>/print."""
    from certificates.manifest import SignedManifest, render_manifest

    op = rt.operator(Permission.MANAGE_BATCHES)
    output = output_or_print_folder(rt, output, print_to, f"manifest-{code}")
    doc = batches.manifest(rt.station(), actor_of(op), code)
    m = doc.manifest if isinstance(doc, SignedManifest) else doc
    suffix = output.suffix.lower()
    if suffix == ".pdf":
        write_file(output, render_manifest(doc))
    elif suffix == ".csv":
        write_file(output, batches.manifest_csv(doc))
    else:
        raise StationError(f"{output.name}: the manifest is written as .pdf or .csv")
    kind = "signed manifest" if isinstance(doc, SignedManifest) else "DRAFT manifest (open batch)"
    click.echo(f"wrote the {kind} of {m.batch_id} ({len(m.phones)} phones) to {output}")
    send_to_printer(rt, output, print_to)


@batch.command("release", short_help="Let a phone handed over before be erased and batched again.")
@click.argument("phone", metavar="SERIAL|IMEI")
@click.option("--reason", required=True, help="Why this phone may leave the depot again.")
@pass_runtime
def release(rt: Runtime, phone: str, reason: str) -> None:
    """Let a phone that was handed over before be erased and batched again (admin, with a
    reason); it stays in quarantine and out of batches until then."""
    from wipe_station.intake import find_device
    from wipe_station.orchestrator.records import release_left_before

    op = rt.operator(Permission.RELEASE_QUARANTINE)
    ctx = rt.station()
    with ctx.session() as s:
        dev = find_device(s, phone)
        device_id, serial = dev.id, dev.serial
    assert device_id is not None
    release_left_before(ctx, actor_of(op), device_id, reason)
    click.echo(f"released {visible(serial)}: it may be erased and batched again")


@batch.command(
    "verify", short_help="Check a manifest offline (exit 0 valid, 1 forged, 3 not verifiable)."
)
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The station's public key (PEM, from `station public-key`).",
)
def verify(pdf: Path, public_key: Path) -> None:
    """Check a hand-over manifest PDF offline with the station's public key (no database,
    no sign-in).

    \b
    Exit status: 0 VALID, signed by the key given,
                 1 FORGED, damaged or signed by another key,
                 2 usage or an unreadable file,
                 3 NOT VERIFIABLE: a copy without signed data (print, scan, merge)."""
    from certificates.manifest import SignedManifest
    from certificates.manifest_verify import verify_manifest_pdf
    from certificates.papercheck import is_image
    from wipe_station.cli.certificate import check_paper
    from wipe_station.cli.runtime import NotVerifiableCopy

    def check(data: bytes, pem: bytes) -> SignedManifest:
        if is_image(data):
            check_paper(pdf, data, pem, "a scan or photo carries no signed data")
        return verify_manifest_pdf(data, pem)

    try:
        signed = verify_file(pdf, public_key, check)
    except NotVerifiableCopy as exc:
        data = pdf.read_bytes()
        if not is_image(data):  # a print or scan as PDF: its QR code can still be checked
            check_paper(pdf, data, public_key.read_bytes(), str(exc))
        raise
    m = signed.manifest
    click.echo(
        f"VALID: manifest {m.batch_id}, {len(m.phones)} phones, signed by station "
        f"{m.station_id or '?'}"
    )
    click.echo(
        f"  handed over: {m.handed_over_at or 'not yet'} by {visible(m.handed_over_by or '-')}"
    )
    click.echo(f"  received by: {visible(m.received_by or '-')}")
    for p in m.phones:
        parts = "  PARTS ONLY" if p.parts_only else ""
        click.echo(f"  {p.certificate_number}  {visible(p.serial_number)}{parts}")
