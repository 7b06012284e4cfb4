"""A real browser on the verifier page: Playwright driving Debian's chromium, headless, with
every request the page might make routed to fail and recorded."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, Route, sync_playwright

from tests.browser.corpus import Corpus, build

CHROMIUM = os.environ.get("WIPE_STATION_CHROMIUM", "/usr/bin/chromium")
# Screenshots of the verdict views, kept for people to look at (the test artefacts folder).
ARTEFACTS = (
    Path(os.environ.get("WIPE_STATION_ARTEFACTS", "/tmp/wipe-station-artefacts")) / "browser"
)


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Per test, not per session: the sync API keeps an asyncio loop marked as running while
    it lives, and the next test on this worker that runs a loop of its own would fail."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    # The station's environment (home, database, operator) only while it is built: the other
    # tests on this worker must not inherit it.
    with pytest.MonkeyPatch.context() as mp:
        made = build(tmp_path_factory.mktemp("corpus"), mp)
    yield made


@dataclass
class Verifier:
    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # script errors on the page

    def load(self, *files: Path) -> None:
        before = self.page.locator(".card").count()
        self.page.set_input_files("#pick", [str(f) for f in files])
        self.page.wait_for_function(
            "n => document.querySelectorAll('.card[data-verdict]').length >= n",
            arg=before + len(files),
            timeout=60_000,
        )

    def card(self, name: str):  # type: ignore[no-untyped-def]
        return self.page.locator(f'.card[data-file="{name}"]')

    def verdict(self, name: str) -> str:
        return self.card(name).get_attribute("data-verdict") or ""

    def reason(self, name: str) -> str:
        return self.card(name).locator(".verdict .reason").first.inner_text()

    def shot(self, name: str) -> Path:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTEFACTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


def open_verifier(browser: Browser, html: Path, init_script: str = "") -> Iterator[Verifier]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    context.grant_permissions(["camera"])
    if init_script:  # what a test gives the browser that this one lacks (a BarcodeDetector)
        context.add_init_script(init_script)
    page = context.new_page()
    v = Verifier(page)
    errors = v.errors

    def refuse(route: Route) -> None:
        v.requests.append(route.request.url)
        route.abort()

    # Everything but the page itself is refused and recorded; `request` sees what routing
    # does not (a data: or blob: URL would still be a request and is recorded too).
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url == html.as_uri() else refuse(route),
    )
    page.on("request", lambda r: r.url != html.as_uri() and v.requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(html.as_uri())
    page.wait_for_function("document.body.dataset.ready", timeout=20_000)
    assert page.evaluate("document.body.dataset.ready") == "1", errors
    try:
        yield v
    finally:
        context.close()
    assert not errors, errors
    assert not v.requests, f"the page made requests: {v.requests}"


@pytest.fixture
def verifier(browser: Browser, corpus: Corpus) -> Iterator[Verifier]:
    yield from open_verifier(browser, corpus.folder.parent / "verifier.html")


_ = Request  # typing only
