"""`wipe-station certificate …`: list, print (one or a batch) and verify certificates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from sqlmodel import Session, col, select

from wipe_station.certify import issued_between
from wipe_station.cli.runtime import (
    Runtime,
    how_many,
    iso_date,
    limit_option,
    output_file,
    output_or_print_folder,
    pass_runtime,
    print_option,
    send_to_printer,
    verify_file,
    write_file,
)
from wipe_station.db.models import Certificate, Customer, Device
from wipe_station.errors import IntegrityFailure, StationError
from wipe_station.roles import Permission
from wipe_station.safe_text import visible


def _query(
    session: Session,
    customer: str | None,
    start: date | None,
    end: date | None,
    *,
    current_only: bool = False,
) -> list[Certificate]:
    stmt = select(Certificate).order_by(col(Certificate.issued_at), col(Certificate.number))
    if current_only:  # what goes out on paper is what the records say now
        stmt = stmt.where(col(Certificate.superseded_by_id).is_(None))
    if customer:
        cust = session.exec(select(Customer).where(Customer.org_number == customer)).first()
        if cust is None:
            raise StationError(f"no customer with organisation number {customer}")
        stmt = stmt.join(Device, col(Device.id) == Certificate.device_id).where(
            Device.customer_id == cust.id
        )
    return list(session.exec(issued_between(stmt, start, end)).all())


def _scope(customer: str | None, start: date | None, end: date | None) -> str:
    """The filters given, in words, for an empty answer."""
    parts = [f"for customer {customer}" if customer else ""]
    parts.append(f"issued from {start}" if start else "")
    parts.append(f"to {end}" if end else "")
    return " ".join(p for p in parts if p) or "on this station"


# A listing on a terminal shows this many unless told otherwise: the newest are what people look
# for, and five years hold half a million.

_filters = [
    click.option("--customer", help="Organisation number."),
    click.option("--from", "start", callback=iso_date, help="First issue date (YYYY-MM-DD)."),
    click.option("--to", "end", callback=iso_date, help="Last issue date (YYYY-MM-DD)."),
]


def filters(f):  # type: ignore[no-untyped-def]
    for option in reversed(_filters):
        f = option(f)
    return f


@click.group(short_help="Certificates: list, export, print in batches, verify offline.")
def certificate() -> None:
    """Certificates of erasure: list, export as PDF, print batches, verify offline."""


@certificate.command("list", short_help="List certificates, newest first (default: the 50 newest).")
@filters
@click.option(
    "--since", callback=iso_date, help="Issued on or after this day (YYYY-MM-DD; as --from)."
)
@limit_option
@pass_runtime
def list_(
    rt: Runtime,
    customer: str | None,
    start: date | None,
    end: date | None,
    since: date | None,
    limit: int,
) -> None:
    """List certificates, newest first, and say how many there are in all: the newest 50
    unless --limit says otherwise, narrowed by --customer, --since/--from and --to."""
    from wipe_station.listings import count_certificates, list_certificates

    rt.operator(Permission.PRINT_CERTIFICATES)
    ctx = rt.station()
    start = max(filter(None, (start, since)), default=None)
    with ctx.session() as session:
        total = count_certificates(session, customer, start, end)
        shown = 0
        for row in list_certificates(session, customer, start, end, limit=limit or None):
            shown += 1
            mark = "  EMULATED" if row.emulated else ""
            mark += "  SUPERSEDED" if row.superseded else ""
            click.echo(
                # The model and serial are what the phone said: controls shown, not run.
                f"{row.number}  {row.issued_at:%Y-%m-%d %H:%M}  {row.platform:<7} "
                f"{visible(row.model[:24]):<24} {visible(row.serial)}{mark}"
            )
    click.echo(how_many(shown, total, "certificates") if total else "no certificates")


@certificate.command("export")
@click.argument("number")
@output_file(required=False, help="PDF to write (.pdf); optional with --print.")
@print_option
@pass_runtime
def export(rt: Runtime, number: str, output: Path | None, print_to: str | None) -> None:
    """Write one certificate as a signed PDF, or print it.

    -o FILE writes it; --print [PRINTER] prints it (without -o the PDF is kept in
    <home>/print)."""
    from certificates.render import render_certificate
    from wipe_station.audit import log as audit
    from wipe_station.certify import signed_from_record
    from wipe_station.operators import actor_of

    op = rt.operator(Permission.PRINT_CERTIFICATES)
    ctx = rt.station()
    with ctx.session() as session:
        cert = session.exec(select(Certificate).where(Certificate.number == number)).first()
        if cert is None:
            raise StationError(f"no certificate {number}")
        output = output_or_print_folder(rt, output, print_to, number)
        write_file(output, render_certificate(signed_from_record(cert, ctx.identity.private_key)))
        audit.append(
            session,
            ctx.identity,
            actor_of(op),
            "certificate.printed",
            {"numbers": [number]},
            device_id=cert.device_id,
        )
    click.echo(f"wrote {output}")
    send_to_printer(rt, output, print_to)


@certificate.command("batch")
@filters
@output_file(required=False, help="Print file to write (.pdf, one page a certificate).")
@print_option
@pass_runtime
def batch(
    rt: Runtime,
    customer: str | None,
    start: date | None,
    end: date | None,
    output: Path | None,
    print_to: str | None,
) -> None:
    """Write many certificates into one print file (one page each).

    -o FILE writes it; --print [PRINTER] prints it (without -o the PDF is kept in
    <home>/print)."""
    from certificates.render import render_certificates
    from wipe_station.audit import log as audit
    from wipe_station.certify import signed_from_record
    from wipe_station.operators import actor_of

    op = rt.operator(Permission.PRINT_CERTIFICATES)
    ctx = rt.station()
    with ctx.session() as session:
        rows = _query(session, customer, start, end, current_only=True)
        if not rows:
            raise StationError(f"no current certificates {_scope(customer, start, end)}")
        output = output_or_print_folder(rt, output, print_to, "certificates")
        write_file(
            output,
            render_certificates(
                [signed_from_record(c, ctx.identity.private_key) for c in rows],
                title=f"Certificates ({len(rows)})",
            ),
        )
        audit.append(
            session,
            ctx.identity,
            actor_of(op),
            "certificate.printed",
            {"numbers": [c.number for c in rows]},
        )
    click.echo(f"wrote {len(rows)} certificates to {output}")
    send_to_printer(rt, output, print_to)


@certificate.command(
    "labels", short_help="Write (and print) phone labels: certificate number, model, serial, QR."
)
@click.argument("numbers", nargs=-1)
@click.option("--batch", "batch_code", help="Label every phone in this recycling batch.")
@output_file(required=False, help="Labels to write (.pdf, one label a page).")
@click.option(
    "--print",
    "print_to",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[PRINTER]",
    help="Also print them through CUPS: on PRINTER, or on the print.labels printer.",
)
@pass_runtime
def labels(
    rt: Runtime,
    numbers: tuple[str, ...],
    batch_code: str | None,
    output: Path | None,
    print_to: str | None,
) -> None:
    """Labels for certified phones (size: setting print.label_size), by certificate NUMBERS or
    --batch. The PDF is kept in the station's print folder; -o writes a copy."""
    from wipe_station import batches, printing
    from wipe_station.operators import actor_of

    op = rt.operator(Permission.PRINT_CERTIFICATES)
    ctx = rt.station()
    chosen = list(numbers)
    if batch_code:
        chosen += [p.certificate for p in batches.batch_phones(ctx, batch_code)]
    if not chosen:
        raise StationError("name certificate numbers or --batch CODE")
    path = printing.write_labels(ctx, actor_of(op), chosen, batch_code or f"{chosen[0]}-labels")
    click.echo(f"wrote {len(chosen)} labels to {path}")
    if output is not None:
        write_file(output, path.read_bytes())
        click.echo(f"wrote {output}")
    send_to_printer(rt, path, print_to, "labels")


@certificate.command(
    "release", short_help="Certify a held attested erasure (erasure.attested = hold)."
)
@click.argument("serial")
@pass_runtime
def release(rt: Runtime, serial: str) -> None:
    """Release a held attested erasure (setting erasure.attested = hold) and certify it."""
    from wipe_station.certify import release_attested
    from wipe_station.operators import actor_of

    op = rt.operator(Permission.RELEASE_ERASURE)
    cert = release_attested(rt.station(), serial, actor_of(op))
    click.echo(f"released and certified: {cert.number}")


@certificate.command(
    "verify", short_help="Check a certificate offline (exit 0 valid, 1 forged, 3 not verifiable)."
)
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The station's public key (PEM, from `station public-key`).",
)
@click.option(
    "--bundle",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The station's exported audit log: also say whether a later certificate replaces it.",
)
def verify(pdf: Path, public_key: Path, bundle: Path | None) -> None:
    """Check a certificate PDF offline with the station's public key (no database, no
    sign-in); every page of a print file is checked.

    \b
    Exit status: 0 VALID, signed by the key given,
                 1 FORGED, damaged, signed by another key, or SUPERSEDED (with --bundle),
                 2 usage or an unreadable file,
                 3 NOT VERIFIABLE: a copy without signed data (print, scan, merge)."""
    from certificates.papercheck import is_image
    from certificates.verify import VerifiedCertificate, describe, verify_pdf
    from wipe_station.cli.runtime import NotVerifiableCopy

    def check(data: bytes, pem: bytes) -> tuple[list[VerifiedCertificate], dict[str, str]]:
        if is_image(data):
            check_paper(pdf, data, pem, "a scan or photo carries no signed data")
        results = verify_pdf(data, pem)
        return results, (_successors(bundle, pem) if bundle is not None else {})

    try:
        results, successors = verify_file(pdf, public_key, check)
    except NotVerifiableCopy as exc:
        data = pdf.read_bytes()
        if not is_image(data):  # a print or scan as PDF: its QR codes can still be checked
            check_paper(pdf, data, public_key.read_bytes(), str(exc))
        raise
    superseded = []
    for result in results:
        number = result.payload.number
        click.echo(
            f"VALID: {number} (page {result.page}), signed by station {result.payload.station_id}"
        )
        for line in describe(result):
            click.echo(f"  {line}")
        chain = _follow(successors, number)
        if chain:
            superseded.append(f"{number} is superseded by {' then '.join(chain)}")
    if superseded:
        # Genuine, but no longer what the station's records say: the auditor must use the newer.
        raise IntegrityFailure(f"SUPERSEDED: {'; '.join(superseded)}")


def check_paper(path: Path, data: bytes, pem: bytes, why: str) -> None:
    """Check the QR codes of a copy without signed data; print what each proves. A QR code
    whose signature fails makes the copy FORGED; otherwise it stays NOT VERIFIABLE."""
    from certificates.papercheck import WHAT_IT_PROVES, check_copy
    from certificates.signing import InvalidPublicKey, load_public_key
    from certificates.verify import BadPublicKey, NotVerifiable

    try:
        key = load_public_key(pem)
    except InvalidPublicKey as exc:
        raise BadPublicKey(str(exc)) from exc
    try:
        findings = check_copy(data, key)
    except Exception as exc:  # a decoder fed hostile bytes fails in many ways
        raise StationError(f"cannot read {visible(path.name)} as an image or PDF") from exc
    for f in findings:
        click.echo(visible(f.line()))
    forged = [f for f in findings if f.status == "forged"]
    if forged:
        raise IntegrityFailure(f"FORGED: {visible(path.name)}: {visible(forged[0].line())}")
    if any(f.status == "signed" for f in findings):
        click.echo(WHAT_IT_PROVES)
    if not findings:
        click.echo("no QR code could be read")
    if why.startswith("NOT VERIFIABLE"):
        return
    raise NotVerifiable(
        f"{why}: the signed QR codes it shows are listed above"
        if findings
        else f"{why}, and no QR code could be read off it"
    ) from None


def _successors(bundle: Path, pem: bytes) -> dict[str, str]:
    """Old certificate number -> the one that superseded it, from a bundle that verifies."""
    import json

    from wipe_station.audit.store import verify_bundle

    report = verify_bundle(bundle, pem)
    if not report.ok:
        raise IntegrityFailure(f"the audit bundle does not verify: {report.summary()}")
    out: dict[str, str] = {}
    try:
        with bundle.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec.get("type") == "event" and rec.get("action") == "certificate.superseded":
                    body = json.loads(rec["payload"])
                    out[str(body["old"])] = str(body["new"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StationError(f"cannot read the audit bundle {bundle.name}") from exc
    return out


def _follow(successors: dict[str, str], number: str) -> list[str]:
    chain: list[str] = []
    while number in successors and successors[number] not in chain:
        number = successors[number]
        chain.append(number)
    return chain
