"""Bokmål and English labels, side by side on every page. One table so both stay in step."""

from __future__ import annotations

L: dict[str, tuple[str, str]] = {
    "title": ("Sletteattest", "Certificate of Erasure"),
    "subtitle": (
        "Sanering av lagringsmedier etter NIST SP 800-88 Rev. 1",
        "Media sanitisation per NIST SP 800-88 Rev. 1",
    ),
    "number": ("Attestnummer", "Certificate number"),
    "issued_at": ("Utstedt", "Issued"),
    "station": ("Stasjon", "Station"),
    "emulated": (
        "EMULERT TELEFON – IKKE EN EKTE SLETTING",
        "EMULATED PHONE – NOT A REAL ERASURE",
    ),
    # Sections
    "s_person": ("Utført av", "Person performing sanitisation"),
    "s_media": ("Medieinformasjon", "Media information"),
    "s_mobile": ("Mobiltelefon", "Mobile device"),
    "s_sanitization": ("Sanering", "Sanitisation details"),
    "s_destination": ("Mottaker av mediet", "Media destination"),
    "s_validation": ("Signatur og validering", "Signature and validation"),
    # Person
    "name": ("Navn", "Name"),
    "title_role": ("Stilling", "Title"),
    "organization": ("Organisasjon / sted", "Organisation / location"),
    "phone": ("Telefon", "Phone"),
    # Media
    "manufacturer": ("Produsent", "Make / manufacturer"),
    "model": ("Modell", "Model"),
    "serial_number": ("Serienummer", "Serial number"),
    "property_number": ("Eiendelsnummer", "Property number"),
    "media_type": ("Medietype", "Media type"),
    "source": ("Kilde", "Source"),
    "classification": ("Klassifisering", "Classification"),
    "data_backed_up": ("Data sikkerhetskopiert", "Data backed up"),
    # Mobile
    "platform": ("Plattform / OS-versjon", "Platform / OS version"),
    "imeis": ("IMEI", "IMEI"),
    "udid": ("UDID", "UDID"),
    "blockers": ("Sperrer kontrollert", "Blockers checked"),
    "evidence_digest": ("Bevissammendrag (SHA-256)", "Evidence digest (SHA-256)"),
    "customer": ("Kunde (org.nr.)", "Customer (org. no.)"),
    # Sanitisation
    "method_type": ("Metodetype", "Method type"),
    "method_used": ("Metode brukt", "Method used"),
    "method_details": ("Metodedetaljer", "Method details"),
    "tool": ("Verktøy og versjon", "Tool used and version"),
    "verification_method": ("Verifiseringsmetode", "Verification method"),
    "post_classification": ("Klassifisering etter sanering", "Post-sanitisation classification"),
    "notes": ("Merknader", "Notes"),
    # Destination
    "destination": ("Destinasjon", "Destination"),
    "facility": ("Anlegg", "Facility"),
    # Validation
    "validator": ("Validert av", "Validated by"),
    "validator_org": ("Stilling / organisasjon", "Title / organisation"),
    "validation_date": ("Dato", "Date"),
    "audit": ("Revisjonslogg (hendelse)", "Audit log (event)"),
    "signature": ("Digital signatur (Ed25519)", "Digital signature (Ed25519)"),
    "payload_digest": ("Innholdssammendrag (SHA-256)", "Payload digest (SHA-256)"),
    "verify_hint": (
        "Kontroller: wipe-station certificate verify FIL.pdf --public-key stasjon.pem",
        "Verify: wipe-station certificate verify FILE.pdf --public-key station.pem",
    ),
    "page": ("Side", "Page"),
}


def both(key: str) -> str:
    nb, en = L[key]
    return nb if nb == en else f"{nb} / {en}"
