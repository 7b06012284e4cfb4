"""The certificate list: newest first, and Enter writes one again into the print folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import col, select

from certificates.verify import verify_pdf
from tests.tui.helpers import events, footer, notified, sign_in, states, until
from wipe_station.context import open_station
from wipe_station.db.models import Certificate
from wipe_station.orchestrator.demo_home import demo_operator
from wipe_station.printing import print_dir
from wipe_station.roles import GRANTS, Permission, Role
from wipe_station.tui.app import WipeStationApp
from wipe_station.tui.screens.certificates import CertificatesScreen
from wipe_station.tui.screens.confirm import ConfirmErase
from wipe_station.tui.screens.station import StationScreen


async def _erase_all(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await until(pilot, lambda: app.engine is not None and states(app) == ["ready", "ready"])
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, ConfirmErase))
    await pilot.press("y")
    await until(pilot, lambda: states(app) == ["certified", "certified"])


async def _open_certificates(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("c")
    await until(pilot, lambda: isinstance(pilot.app.screen, CertificatesScreen))


def _cells(screen: CertificatesScreen) -> list[list[str]]:
    table = screen.query_one("#certificates")
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_list_newest_first_and_print_one_again(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    with ctx.session() as s:
        assert s.exec(select(Certificate)).all() == []
    app = WipeStationApp(ctx, demo_phones=2, operator_hint="demo-technician")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await _erase_all(pilot)
        with ctx.session() as s:
            issued = s.exec(
                select(Certificate).order_by(col(Certificate.issued_at), col(Certificate.number))
            ).all()
            newest_first = [c.number for c in reversed(issued)]
        await _open_certificates(pilot)
        screen = app.screen
        rows = _cells(screen)
        assert [r[0] for r in rows] == newest_first
        models = {r[1] for r in rows}
        assert len(models) == 2 and all(m for m in models)  # the Pixel and the iPhone
        # The depot's wall clock (Europe/Oslo by default), as the printed certificate says.
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T", r[3]) for r in rows)
        assert not print_dir(home).exists()  # nothing written before Enter
        assert footer(app) == ["Print", "Label", "Help", "Back", "Sign out"]

        oldest = newest_first[-1]
        screen.query_one("#certificates").move_cursor(row=1)
        await pilot.press("enter")
        pdf = print_dir(home) / f"{oldest}.pdf"
        await until(pilot, lambda: notified(app, str(pdf)))
        assert str(pdf) in str(screen.query_one("#written").render())
        assert sorted(p.name for p in print_dir(home).iterdir()) == [pdf.name]
        [result] = verify_pdf(pdf.read_bytes(), ctx.identity.public_key_pem().encode())
        assert result.payload.number == oldest  # the signed certificate, not a look-alike
        [(event, payload)] = events(ctx, "certificate.printed")
        assert event.operator == "demo-technician"
        assert payload == {"numbers": [oldest], "reprint": True}

        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, StationScreen))
    ctx.close()


async def test_the_list_is_empty_before_any_certificate(home: Path, sqlite_url: str) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="demo-technician")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await _open_certificates(pilot)
        assert "No certificates yet" in str(app.screen.query_one("#written").render())
        assert footer(app) == ["Help", "Back", "Sign out"]  # nothing to print
        await pilot.press("enter")
        await pilot.pause(0.2)
    assert not print_dir(home).exists()
    assert events(ctx, "certificate.printed") == []
    ctx.close()


async def test_a_list_cut_at_its_limit_says_how_many_there_are(
    home: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five years hold 500,000 certificates; the screen shows the newest 500 and says so,
    rather than "500 certificates"."""
    from wipe_station import printing

    real = printing.certificate_listing
    monkeypatch.setattr(printing, "certificate_listing", lambda ctx: real(ctx, limit=1))
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=2, operator_hint="demo-technician")
    async with app.run_test(size=(100, 24)) as pilot:
        await sign_in(pilot)
        await _erase_all(pilot)
        await _open_certificates(pilot)
        assert len(_cells(app.screen)) == 1
        banner = str(app.screen.query_one("#banner").render())
        assert "the newest 1 of 2 certificates" in banner, banner
    ctx.close()


async def test_a_print_folder_that_cannot_be_written_is_reported(
    home: Path, sqlite_url: str
) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    print_dir(home).write_text("a file where the folder should be")
    app = WipeStationApp(ctx, demo_phones=2, operator_hint="demo-technician")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await _erase_all(pilot)
        await _open_certificates(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: notified(app, "cannot write"))
    assert events(ctx, "certificate.printed") == []  # not audited as printed
    ctx.close()


async def test_the_role_check_goes_through_the_core(
    home: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every role may print today; take the right from technicians to see the core refuse.
    monkeypatch.setitem(
        GRANTS, Role.TECHNICIAN, GRANTS[Role.TECHNICIAN] - {Permission.PRINT_CERTIFICATES}
    )
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="demo-technician")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("c")
        await until(pilot, lambda: notified(app, "may not print certificates"))
        assert isinstance(app.screen, StationScreen)
        # What the certificate screen asks before it prints: the core refuses (and audits).
        session = app.session()
        assert session is not None
        assert session.allowed(Permission.PRINT_CERTIFICATES) is False
    denied = [p for _, p in events(ctx, "access.denied")]
    assert denied == [{"permission": "print_certificates", "role": "technician"}] * 2
    assert not print_dir(home).exists()
    ctx.close()


async def test_the_station_screen_keeps_up_while_the_list_is_open(
    home: Path, sqlite_url: str
) -> None:
    ctx = open_station(home, sqlite_url)
    demo_operator(ctx, None, None)
    app = WipeStationApp(ctx, demo_phones=1, operator_hint="demo-technician")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await until(pilot, lambda: app.engine is not None and states(app) == ["ready"])
        await _open_certificates(pilot)
        # The erasure given the go-ahead goes on behind the list.
        # (On the engine's loop, where its futures live, as the app itself gives it.)
        await app._on_engine(lambda: app.approvals.approve(app.approvals.ready()))
        await until(pilot, lambda: states(app) == ["certified"])
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, StationScreen))
        assert "✓ CERTIFIED" in [str(c) for c in app.screen.query_one("#phones").get_row_at(0)]
    ctx.close()
