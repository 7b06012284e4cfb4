"""A realistic payload for certificate tests."""

from __future__ import annotations

import dataclasses

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
