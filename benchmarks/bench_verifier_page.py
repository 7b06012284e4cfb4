"""The auditor's verifier page in headless Debian chromium: how long a print file of N signed
certificates takes from picking the file to its verdict (issue 28: 200 in under 10 s).

    python benchmarks/bench_verifier_page.py --certificates 200
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import sync_playwright

from certificates.render import render_certificates
from certificates.signing import sign
from tests.certificates.samples import sample_payload
from wipe_station.auditor_page import StationKey, build_page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=200)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    base = sample_payload()
    certs = [
        sign(
            dataclasses.replace(
                base,
                number=f"WS-OSL01-2026-{i:06d}",
                media=dataclasses.replace(base.media, serial_number=f"R58N{i:07d}"),
            ),
            key,
        )
        for i in range(1, args.certificates + 1)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "print.pdf"
        pdf.write_bytes(render_certificates(certs))
        html = Path(tmp) / "verify.html"
        html.write_text(build_page([StationKey("OSL01", "bench", pem.decode())], "bench", "-"))
        seconds = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            for _ in range(args.runs):
                page = browser.new_page()
                page.goto(html.as_uri())
                page.wait_for_function("() => document.body.dataset.ready === '1'")
                start = time.perf_counter()
                page.set_input_files("#pick", str(pdf))
                done = "() => document.querySelector('.card[data-verdict]')"
                page.wait_for_function(done, timeout=0)
                seconds.append(time.perf_counter() - start)
                verdict = page.locator(".card").get_attribute("data-verdict")
                shown = page.locator(".signed").count()
                page.close()
            browser.close()
    assert verdict == "VALID" and shown == args.certificates, (verdict, shown)
    print(json.dumps({"certificates": args.certificates, "bytes": pdf_size(certs),
                      "verdict": verdict, "seconds": [round(s, 2) for s in seconds]}))  # fmt: skip


def pdf_size(certs: list) -> int:  # type: ignore[type-arg]
    return len(render_certificates(certs))


if __name__ == "__main__":
    main()
