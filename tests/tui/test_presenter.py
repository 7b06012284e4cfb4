"""The detail pane shows what a technician needs: facts, evidence, what to do, the job log."""

from __future__ import annotations

from drivers.contract import DeviceFacts, Platform
from wipe_station.orchestrator.engine import PhoneView
from wipe_station.tui import presenter


def test_detail_shows_evidence_and_unannounced_phones() -> None:
    view = PhoneView(
        "1-1",
        Platform.ANDROID,
        facts=DeviceFacts(Platform.ANDROID, "Google", "Pixel 8", "shiba", "S1", "14"),
        evidence=[("accounts", True), ("setup[b]", False)],
        announced=False,
    )
    text = presenter.detail(view)
    # Text, not markup: the evidence name "setup[b]" is shown as it is, the marks coloured.
    assert "✓ accounts" in text.plain and "✗ setup[b]" in text.plain
    styles = {text.plain[s.start : s.end]: str(s.style) for s in text.spans}
    assert styles["✓"] == "green" and styles["✗"] == "red"
    assert "Not on any return list" in text.plain
    view.announced = True
    assert "return list" not in presenter.detail(view).plain
