"""Certificate figures: certificates rendered per second on one core, the time to build a
500-certificate batch file, and offline verification of that file (target: at most 60 s on the
2-core reference machine).

    python benchmarks/bench_certificates.py --single 200 --batch 500
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certificates.manifest import render_manifest
from certificates.payload import format_number
from certificates.render import render_certificate, render_certificates
from certificates.signing import sign
from certificates.verify import verify_pdf
from tests.certificates.samples import sample_manifest, sample_payload


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--single", type=int, default=200, help="single certificates to render")
    ap.add_argument("--batch", type=int, default=500, help="certificates in the batch file")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the figure claims
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    n = max(args.single, args.batch)
    certs = [sign(sample_payload(number=format_number("OSL01", 2026, i)), key) for i in range(n)]
    render_certificate(certs[0])  # fonts, imports

    # CPU time beside wall time: on a shared machine the wall clock counts other work too.
    t0, c0 = time.perf_counter(), time.process_time()
    for cert in certs[: args.single]:
        render_certificate(cert)
    single, single_cpu = time.perf_counter() - t0, time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    pdf = render_certificates(certs[: args.batch])
    batch, batch_cpu = time.perf_counter() - t0, time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    verified = verify_pdf(pdf, pem)
    verify, verify_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(verified) == args.batch

    t0 = time.perf_counter()
    manifest = render_manifest(sample_manifest(args.batch))
    manifest_s = time.perf_counter() - t0

    print(f"load average {os.getloadavg()[0]:.1f}")
    print("| measurement | figure |\n|---|---|")
    print(
        "| single certificates rendered per second, one core | "
        f"{args.single / single:.1f} (CPU: {args.single / single_cpu:.1f}) |"
    )
    print(
        f"| {args.batch}-certificate batch file | {batch:.1f} s (CPU {batch_cpu:.1f} s: "
        f"{args.batch / batch_cpu:.0f} certificates/s), {len(pdf) / 1e6:.1f} MB |"
    )
    print(
        "| offline verification of that batch file (strict structure, signatures, every page "
        f"rendered with PDFium and compared, QR codes) | {verify:.1f} s (CPU {verify_cpu:.1f} s) |"
    )
    size_kb = len(manifest) / 1e3
    print(f"| {args.batch}-phone hand-over manifest | {manifest_s:.2f} s, {size_kb:.0f} kB |")


if __name__ == "__main__":
    main()
