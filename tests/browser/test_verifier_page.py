"""The auditor's verifier page in a real browser (headless Debian chromium): each file's verdict
is the contract's and the CLI's, the signed content is shown, and the page never touches the
network. Screenshots of the verdict views go to the artefacts folder (conftest.ARTEFACTS)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from playwright.sync_api import Browser

from certificates.payload import CertificatePayload
from certificates.signing import SignedCertificate
from tests.browser.conftest import Verifier, open_verifier
from tests.browser.corpus import FORGED, NOT_VERIFIABLE, VALID, Corpus, run_cli
from wipe_station.context import open_station

# Each refusal names what it found.
REASONS = {
    "two-envelopes-one-name.pdf": "two embedded files named",
    "javascript.pdf": "JavaScript",
    "open-action.pdf": "/OpenAction",
    "additional-actions.pdf": "/AA",
    "acroform.pdf": "/AcroForm",
    "annotation.pdf": "annotations",
    "optional-content.pdf": "optional content",
    "two-roots.pdf": "more than one /Root",
    "duplicate-key.pdf": "defines /Pages twice",
    "template-page.pdf": "/Template, neither /Page nor /Pages",
    "incremental-update.pdf": "changed after it was written (an incremental update)",
    "altered-envelope.pdf": "signature does not match",
    "other-key.pdf": "signature does not match",
    "truncated.pdf": "damaged",
    "print-no-attachments.pdf": "no signed data",
    "attachment-swapped.pdf": "but the signed certificate embedded for it is WS-",
    "page-removed.pdf": "no page shows it",
    "page-added.pdf": "page 2 (WS-",
    "object-twice.pdf": "defined twice",
    "qr-signature-of-another.pdf": "QR code's signature does not match",
}


def cli_verdict(corpus: Corpus, name: str) -> str:
    """The CLI's verdict on one corpus file, in the contract's words."""
    path, key = str(corpus.folder / name), str(corpus.pem)
    if name.endswith(".jsonl"):
        code, _, err = run_cli("audit", "verify", "--bundle", path, "--public-key", key)
    elif name.startswith("manifest"):
        code, _, err = run_cli("batch", "verify", path, "--public-key", key)
    else:
        code, _, err = run_cli("certificate", "verify", path, "--public-key", key)
    # The contract's exit statuses: VALID 0, FORGED 1, NOT VERIFIABLE 3 (docs/verification.md).
    verdicts = {0: VALID, 1: FORGED, 3: NOT_VERIFIABLE}
    assert code in verdicts, err
    assert (code == 3) == ("NOT VERIFIABLE" in err), err
    return verdicts[code]


def _files(corpus: Corpus) -> list[Path]:
    return [corpus.folder / name for name in corpus.expected]


def test_each_file_gets_the_contracts_verdict_and_the_clis(
    verifier: Verifier, corpus: Corpus
) -> None:
    verifier.load(*_files(corpus))
    for name, want in corpus.expected.items():
        got = verifier.verdict(name)
        assert got == want, f"{name}: browser says {got} ({verifier.reason(name)})"
        cli = cli_verdict(corpus, name)
        assert cli == want, f"{name}: CLI says {cli}"
        if want != VALID:
            assert not verifier.card(name).locator(".signed").count()  # nothing shown as signed
    for name, words in REASONS.items():  # each refusal names what it found
        assert words in verifier.reason(name), (name, verifier.reason(name))
    assert not verifier.requests
    verifier.shot("all-verdicts.png")


def test_the_signed_content_is_shown_in_both_languages(verifier: Verifier, corpus: Corpus) -> None:
    verifier.load(corpus.folder / "genuine.pdf", corpus.folder / "manifest.pdf")
    card = verifier.card("genuine.pdf")
    signed = card.locator(".signed")
    number = signed.locator(".number").inner_text()
    payload = _payload(corpus, number)
    assert signed.locator(".title").first.inner_text() == "Sletteattest"
    assert signed.locator(".title.en").inner_text() == "Certificate of Erasure"
    row = signed.locator('tr[data-field="serial_number"]')
    assert row.locator("th").inner_text().split("\n") == ["Serienummer", "Serial number"]
    assert row.locator("td").inner_text() == payload.media.serial_number
    imeis = signed.locator('tr[data-field="imeis"] td').inner_text()
    assert imeis == ", ".join(payload.mobile.imeis) and "356938035643809" in imeis
    digest = signed.locator('tr[data-field="payload_digest"] td').inner_text()
    assert digest == SignedCertificate(payload, b"").digest  # the browser's RFC 8785 = Python's
    manifest = verifier.card("manifest.pdf").locator(".signed")
    assert "Overleveringsmanifest" in manifest.locator(".title").first.inner_text()
    assert manifest.locator('tr[data-field="for_recycler"] td').inner_text() == "Ola Mottaker"
    verifier.shot("certificate-and-manifest.png")


def _payload(corpus: Corpus, number: str) -> CertificatePayload:
    code, out, _ = run_cli(
        "certificate", "verify", str(corpus.folder / "batch.pdf"), "--public-key", str(corpus.pem)
    )
    assert code == 0 and number in out
    from pypdf import PdfReader

    data = PdfReader(corpus.folder / "batch.pdf").attachments[f"{number}.json"][0]
    return CertificatePayload.from_dict(json.loads(data)["payload"])


def test_a_superseded_certificate_is_named_once_the_bundle_is_given(
    verifier: Verifier, corpus: Corpus
) -> None:
    verifier.load(corpus.folder / "superseded.pdf")
    card = verifier.card("superseded.pdf")
    assert verifier.verdict("superseded.pdf") == VALID and not card.locator(".superseded").count()
    verifier.load(corpus.folder / "audit.jsonl")
    note = card.locator(".superseded")
    assert note.get_attribute("data-superseded-by") == corpus.new
    assert f"{corpus.old} is superseded by {corpus.new}" in note.inner_text()
    _, _, err = run_cli(
        "certificate", "verify", str(corpus.folder / "superseded.pdf"),
        "--public-key", str(corpus.pem), "--bundle", str(corpus.folder / "audit.jsonl"),
    )  # fmt: skip
    assert f"{corpus.old} is superseded by {corpus.new}" in err  # the CLI says the same
    verifier.shot("superseded.png")


def test_the_audit_bundle_counts_and_a_break_with_where(verifier: Verifier, corpus: Corpus) -> None:
    verifier.load(corpus.folder / "audit.jsonl", corpus.folder / "audit-damaged.jsonl")
    good = verifier.card("audit.jsonl")
    events = [json.loads(x) for x in (corpus.folder / "audit.jsonl").read_text().splitlines()]
    events = [e for e in events if e.get("type") == "event"]
    kinds: dict[str, int] = {}
    for e in events:
        kinds[e["action"]] = kinds.get(e["action"], 0) + 1
    for kind, count in kinds.items():
        assert good.locator(f'tr[data-kind="{kind}"] td').inner_text() == str(count)
    text = good.inner_text()
    assert events[0]["at"] in text and events[-1]["at"] in text
    _, cli_out, _ = run_cli(
        "audit", "verify", "--bundle", str(corpus.folder / "audit.jsonl"),
        "--public-key", str(corpus.pem),
    )  # fmt: skip
    assert verifier.reason("audit.jsonl") in cli_out  # the CLI's own summary words
    bad = verifier.card("audit-damaged.jsonl")
    where = (corpus.folder / "audit-damaged.where").read_text()
    assert where in bad.locator(".break").inner_text()
    assert re.search(r"bundle line \d+", bad.locator(".break").inner_text())
    _, _, cli_err = run_cli(
        "audit", "verify", "--bundle", str(corpus.folder / "audit-damaged.jsonl"),
        "--public-key", str(corpus.pem),
    )  # fmt: skip
    assert verifier.reason("audit-damaged.jsonl") in cli_err
    verifier.shot("audit-bundle.png")


def _qr_v2(corpus: Corpus, number: str, digest: str) -> str:
    """A version 2 QR text (issue 26's format), signed by the corpus station's own key."""
    ctx = open_station(
        corpus.folder.parent / "home", f"sqlite:///{corpus.folder.parent}/station.db"
    )
    try:
        signed = f"WSCERT:2:{number}:{digest}"
        sig = base64.urlsafe_b64encode(ctx.identity.sign(signed.encode("ascii"))).rstrip(b"=")
    finally:
        ctx.engine.dispose()
    return f"{signed}:{sig.decode()}"


def _paste(verifier: Verifier, text: str) -> str:
    before = verifier.page.locator(".qr-card[data-verdict]").count()
    verifier.page.fill("#qr-text", text)
    verifier.page.click("#qr-form button[type=submit]")
    verifier.page.wait_for_function(
        "n => document.querySelectorAll('.qr-card[data-verdict]').length > n", arg=before
    )
    card = verifier.page.locator(".qr-card").last
    return card.get_attribute("data-verdict") or ""


def test_paper_qr_text_is_checked(verifier: Verifier, corpus: Corpus) -> None:
    from pypdf import PdfReader

    raw = PdfReader(corpus.folder / "genuine.pdf").attachments
    ((_name, (data, *_)),) = raw.items()
    env = json.loads(data)
    cert = SignedCertificate(
        CertificatePayload.from_dict(env["payload"]), base64.b64decode(env["signature"])
    )
    number, digest = cert.payload.number, cert.digest
    good = _qr_v2(corpus, number, digest)
    # Paper is never VALID (issue 26's contract): a signed QR code proves which document the
    # station issued, and the verdict says so, as `certificate verify scan.png` does.
    assert _paste(verifier, good) == NOT_VERIFIABLE
    said = verifier.page.locator(".qr-card .reason").last.inner_text()
    assert f"issued {number} with payload digest {digest}" in said
    other_digest = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    assert _paste(verifier, good.replace(digest, other_digest)) == FORGED
    assert _paste(verifier, "https://example.com/not-ours") == NOT_VERIFIABLE
    # Today's version 1 QR signs the whole payload: alone it proves nothing, with the PDF it does.
    assert _paste(verifier, cert.qr_text()) == NOT_VERIFIABLE
    verifier.load(corpus.folder / "genuine.pdf")
    assert _paste(verifier, cert.qr_text()) == NOT_VERIFIABLE
    said = verifier.page.locator(".qr-card .reason").last.inner_text()
    assert f"belongs to the signed {number} loaded here" in said
    assert verifier.page.locator(".qr-card").last.locator(".signed .number").inner_text() == number
    assert _paste(verifier, good) == NOT_VERIFIABLE  # and the v2 code now names the loaded one
    assert "matches the signed" in verifier.page.locator(".qr-card .reason").last.inner_text()
    forged_v1 = cert.qr_text()[:-4] + ("AAAA" if not cert.qr_text().endswith("AAAA") else "BBBB")
    assert _paste(verifier, forged_v1) == FORGED
    verifier.shot("qr.png")


def test_the_page_makes_no_request_and_its_policy_forbids_one(
    verifier: Verifier, corpus: Corpus, browser: Browser
) -> None:
    verifier.load(*_files(corpus)[:4])
    assert verifier.requests == []
    blocked = verifier.page.evaluate(
        """async () => {
            const seen = [];
            document.addEventListener(
                "securitypolicyviolation", (e) => seen.push(e.violatedDirective));
            let fetched = "no";
            try { await fetch("http://127.0.0.1:9/x"); fetched = "yes"; }
            catch { fetched = "refused"; }
            const img = new Image(); img.src = "http://127.0.0.1:9/y.png";
            await new Promise((r) => setTimeout(r, 300));
            return { fetched, seen };
        }"""
    )
    assert blocked["fetched"] == "refused"
    assert "connect-src" in blocked["seen"] and "img-src" in blocked["seen"]
    # The recorder sees even an attempt the policy stops: it would have seen one of the page's.
    assert verifier.requests == ["http://127.0.0.1:9/y.png"]
    verifier.requests.clear()
    verifier.errors.clear()  # the browser's reports of the refusals above
    # And a page without the policy is seen making its request.
    context = browser.new_context()
    seen: list[str] = []
    context.route("**/*", lambda route: (seen.append(route.request.url), route.abort()))
    page = context.new_page()
    page.set_content('<img src="http://127.0.0.1:9/z.png">')
    page.wait_for_timeout(300)
    context.close()
    assert any("127.0.0.1:9/z.png" in url for url in seen)


def test_the_station_keys_and_version_are_shown(verifier: Verifier, corpus: Corpus) -> None:
    from wipe_station import __version__
    from wipe_station.auditor_page import StationKey

    key = StationKey(corpus.station, "", corpus.pem.read_text())
    item = verifier.page.locator(f'#keys li[data-station="{corpus.station}"]')
    assert key.fingerprint() in item.inner_text()
    assert verifier.page.locator("#version").inner_text() == __version__
    verifier.shot("keys.png")


def test_a_page_made_for_another_station_refuses_these_files(
    browser: Browser, corpus: Corpus, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tests.certificates.keys import public_pem
    from wipe_station.auditor_page import StationKey, build_page

    other = StationKey("OTHER1", "Other depot", public_pem(Ed25519PrivateKey.generate()).decode())
    html = tmp_path / "other.html"
    html.write_text(build_page([other], "test", "2026-12-07T00:00:00Z"), encoding="utf-8")
    for v in open_verifier(browser, html):
        v.load(corpus.folder / "genuine.pdf", corpus.folder / "audit.jsonl")
        assert v.verdict("genuine.pdf") == FORGED
        assert v.verdict("audit.jsonl") == NOT_VERIFIABLE  # no key for that station here


def test_files_dropped_on_the_page_are_checked(verifier: Verifier, corpus: Corpus) -> None:
    data = {
        name: base64.b64encode((corpus.folder / name).read_bytes()).decode()
        for name in ("genuine.pdf", "javascript.pdf")
    }
    transfer = verifier.page.evaluate_handle(
        """files => {
            const dt = new DataTransfer();
            for (const [name, b64] of Object.entries(files)) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                dt.items.add(new File([bytes], name, { type: "application/pdf" }));
            }
            return dt;
        }""",
        data,
    )
    verifier.page.dispatch_event("#drop", "dragover", {"dataTransfer": transfer})
    assert "over" in (verifier.page.locator("#drop").get_attribute("class") or "")
    verifier.page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
    verifier.page.wait_for_function(
        "() => document.querySelectorAll('.card[data-verdict]').length === 2"
    )
    assert verifier.verdict("genuine.pdf") == VALID
    assert verifier.verdict("javascript.pdf") == FORGED
    assert verifier.page.url.startswith("file:") and verifier.page.url.endswith("verifier.html")


def test_a_qr_code_scanned_with_the_camera_is_checked(corpus: Corpus) -> None:
    """Chromium on Linux has no BarcodeDetector: the page is given one that reads the QR text a
    paper copy would show, and Chromium's fake camera; the page's own wiring does the rest."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    from tests.browser.conftest import CHROMIUM

    ((_name, (data, *_)),) = PdfReader(corpus.folder / "genuine.pdf").attachments.items()
    env = json.loads(data)
    cert = SignedCertificate(
        CertificatePayload.from_dict(env["payload"]), base64.b64decode(env["signature"])
    )
    qr = _qr_v2(corpus, cert.payload.number, cert.digest)
    fake_detector = """
        window.BarcodeDetector = class {
            static async getSupportedFormats() { return ["qr_code"]; }
            async detect(video) { return video.readyState >= 2 ? [{ rawValue: QR_TEXT }] : []; }
        };
    """.replace("QR_TEXT", json.dumps(qr))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
            ],
        )
        try:
            for v in open_verifier(browser, corpus.folder.parent / "verifier.html", fake_detector):
                assert v.page.locator("#scan").is_visible()
                v.page.click("#scan")
                v.page.wait_for_function(
                    "() => document.querySelector('.qr-card[data-verdict]')", timeout=20_000
                )
                card = v.page.locator(".qr-card")
                assert card.get_attribute("data-verdict") == NOT_VERIFIABLE  # paper: see above
                assert "issued" in card.locator(".reason").inner_text()
                assert v.page.locator("#camera").is_hidden()  # the camera is let go
        finally:
            browser.close()


def test_the_pages_rfc8785_is_the_stations(verifier: Verifier) -> None:
    """The page's canonical JSON, byte for byte, against the `rfc8785` package the station signs
    with: ECMAScript number forms, escapes, and keys in UTF-16 code-unit order (U+1F600, a
    surrogate pair, sorts before U+FB33 there, after it in code-point order)."""
    import rfc8785

    samples = [
        {"\u20ac": 1, "\r": 2, "\U0001f600": 3, "\ufb33": 4, "1": 5, "a": {"b": None}},
        [1e21, 1e-7, -0.0, 0.1, 123456789012345680000.0, 5e-324, 1.7976931348623157e308],
        [333333333.3333333, 9007199254740991, -1, 0, 1.5, 100.0, 1e20, 1e-6],
        ['\u0001\u001f"\\/', "æøå ÆØÅ", "\u2028\u2029", "\x7f", "tab\tnew\nline", True, False],
        {"number": "WS-OSL01-2026-000042", "nested": [{"z": 1, "y": [2, {"x": "3"}]}]},
    ]
    for value in samples:
        text = rfc8785.dumps(value).decode("utf-8")
        got = verifier.page.evaluate("v => WSVerify.canonicalize(v)", value)
        assert got == text, (value, got, text)
    refused = verifier.page.evaluate(
        "() => { try { WSVerify.canonicalize('\\ud800'); return 'no'; } catch { return 'yes'; } }"
    )
    assert refused == "yes"  # a lone surrogate has no canonical form (rfc8785 refuses it too)
