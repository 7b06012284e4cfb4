"""Realistic inputs for certificate, manifest and report tests."""

from __future__ import annotations

import dataclasses

from certificates.manifest import ManifestPhone, Party, RecyclingManifest
from certificates.payload import (
    AuditAnchor,
    BlockerResult,
    CertificatePayload,
    Customer,
    Destination,
    MediaInfo,
    MobileFacts,
    Person,
    Sanitization,
    Validation,
)


def sample_payload(**changes: object) -> CertificatePayload:
    payload = CertificatePayload(
        number="WS-OSL01-2026-000042",
        issued_at="2026-11-25T10:15:00.000000Z",
        station_id="OSL01",
        emulated=False,
        performed_by=Person(
            name="Kari Nordmann",
            title="Depottekniker",
            organization="Miljødepot Øst AS",
            location="Oslo",
            phone="+47 22 00 00 00",
        ),
        media=MediaInfo(
            manufacturer="samsung",
            model="Galaxy S23 (SM-S911B)",
            serial_number="R58N12ABCDE",
            property_number="ACME-000317",
            media_type="Mobile phone, flash storage (UFS)",
            source="Customer return: Acme AS",
            classification="Confidential",
            data_backed_up="Unknown",
        ),
        sanitization=Sanitization(
            method_type="Purge",
            method_used="Cryptographic erase (factory reset)",
            method_details="File-based encryption keys destroyed by Android factory reset "
            "from recovery; storage verified encrypted before reset",
            tool="Wipe Station",
            tool_version="0.1.0",
            verification_method="Post-reset inspection over ADB: setup wizard pending, no "
            "accounts, no third-party apps, no user files, old station key rejected",
            post_classification="Unclassified",
            notes="",
        ),
        destination=Destination(
            description="Environmental recycling (miljøretur)", facility="Norsk Gjenvinning, Oslo"
        ),
        validation=Validation(
            validator="Kari Nordmann",
            title="Depottekniker",
            organization="Miljødepot Øst AS",
            date="2026-11-25",
        ),
        mobile=MobileFacts(
            platform="Android",
            os_version="14",
            imeis=("356938035643809",),
            udid="",
            blockers=(
                BlockerResult("frp_account", "Google account signed in", True),
                BlockerResult("sim_present", "SIM card inside", True),
            ),
            evidence_digest="9f" * 32,
        ),
        audit=AuditAnchor(station="OSL01", seq=1234, event_hash="ab" * 32),
        customer=Customer(name="Acme AS", org_number="974760673"),
    )
    return dataclasses.replace(payload, **changes)  # type: ignore[arg-type]


def worst_case_payload() -> CertificatePayload:
    """Everything long at once, emulated band included: the layout must still fit one page."""
    long = "Ø" * 3000
    p = sample_payload(emulated=True)
    return dataclasses.replace(
        p,
        media=dataclasses.replace(p.media, model="M" * 10_000, source=long),
        sanitization=dataclasses.replace(
            p.sanitization, notes=long, method_details=long, verification_method=long
        ),
        mobile=dataclasses.replace(
            p.mobile,
            imeis=("356938035643809", "356938035643817"),
            udid="00008030-001A2B3C4D5E802E",
            blockers=tuple(BlockerResult(f"code{i}", long, False) for i in range(20)),
        ),
    )


def sample_manifest(count: int = 130) -> RecyclingManifest:
    models = [
        ("Android", "samsung", "Galaxy S23 (SM-S911B)"),
        ("iOS", "Apple", "iPhone 13 (iPhone14,5)"),
        ("Android", "Google", "Pixel 8 Pro"),
    ]
    phones = tuple(
        ManifestPhone(
            *models[i % 3],
            serial_number=f"R58N{i:07d}",
            imeis=(f"35693803{i:07d}",) if i % 2 else (f"35693803{i:07d}", f"35693804{i:07d}"),
            certificate_number=f"WS-OSL01-2026-{i:06d}",
            emulated=i == 5,
        )
        for i in range(1, count + 1)
    )
    return RecyclingManifest(
        batch_id="RB-OSL01-2026-0007",
        depot=Party("Miljødepot Øst AS", "974760673", "Oslo"),
        recycler=Party("Norsk Gjenvinning AS", "955213395", "Oslo"),
        created_at="2026-11-25",
        handed_over_at="2026-11-26",
        phones=phones,
    )
