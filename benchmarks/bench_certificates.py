"""Certificate figures: certificates rendered per second on one core, and the time to build a
500-certificate batch file.

    python benchmarks/bench_certificates.py --single 200 --batch 500
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certificates.render import render_certificate, render_certificates
from certificates.signing import sign
from tests.certificates.samples import sample_payload


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--single", type=int, default=200)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    os.sched_setaffinity(0, {0})  # one core, as the figure claims
    key = Ed25519PrivateKey.generate()
    certs = [sign(sample_payload(number=f"WS-BENCH-2026-{i:06d}"), key) for i in range(args.batch)]
    render_certificate(certs[0])  # fonts, imports
    t0 = time.perf_counter()
    for cert in certs[: args.single]:
        render_certificate(cert)
    single = time.perf_counter() - t0
    t0 = time.perf_counter()
    pdf = render_certificates(certs)
    batch = time.perf_counter() - t0
    print("| measurement | figure |\n|---|---|")
    print(f"| single certificates rendered per second, one core | {args.single / single:.1f} |")
    print(f"| {args.batch}-certificate batch file | {batch:.1f} s, {len(pdf) / 1e6:.1f} MB |")


if __name__ == "__main__":
    main()
