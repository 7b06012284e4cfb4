"""Bokmål and English labels, side by side on every page. One table so both stay in step."""

from __future__ import annotations

L: dict[str, tuple[str, str]] = {
    "title": ("Sletteattest", "Certificate of Erasure"),
    "subtitle": (
        "Sanering etter NIST SP 800-88 Rev. 2 og IEEE 2883-2022",
        "Sanitisation per NIST SP 800-88 Rev. 2 and IEEE 2883-2022",
    ),
    # Layout 1 (until 2026-12-07): kept so certificates drawn then still verify.
    "subtitle_rev1": (
        "Sanering av lagringsmedier etter NIST SP 800-88 Rev. 1",
        "Media sanitisation per NIST SP 800-88 Rev. 1",
    ),
    "standard": ("Metode etter standard", "Method per standard"),
    # The method in the standards' own terms (SP 800-88 Rev. 2: Clear, Purge, Destroy;
    # IEEE 2883-2022: Clear, Purge, Destruct; cryptographic erase is a purge technique in both).
    "std_purge_ce": (
        "Purge ved kryptografisk sletting",
        "Purge by cryptographic erase (NIST SP 800-88 Rev. 2; IEEE 2883-2022)",
    ),
    "std_purge": ("Purge", "Purge (NIST SP 800-88 Rev. 2; IEEE 2883-2022)"),
    "std_clear": ("Clear", "Clear (NIST SP 800-88 Rev. 2; IEEE 2883-2022)"),
    "std_destroy": ("Destroy", "Destroy (NIST SP 800-88 Rev. 2) / Destruct (IEEE 2883-2022)"),
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
    "verification_level": ("Verifiseringsnivå", "Verification level"),
    "level_readback": (
        "Avlest: stasjonen leste fabrikktilstanden fra telefonen",
        "Read back: the station read the factory state from the phone",
    ),
    "level_attested": (
        "Bekreftet: stasjonen så telefonen starte på nytt som ny enhet; teknikeren bekreftet "
        "skjermen",
        "Attested: the station saw the phone restart as a new device; the technician confirmed "
        "its screen",
    ),
    "activation_lock": ("Eierlås (aktiveringslås / FRP)", "Owner lock (Activation Lock / FRP)"),
    "lock_not_locked": ("ikke låst", "not locked"),
    "lock_locked": ("LÅST til tidligere eier", "LOCKED to the previous owner"),
    "lock_unknown": ("ukjent", "unknown"),
    "lock_not_read": ("ikke lest på denne ruten", "not read on this route"),
    "reuse": ("Gjenbruk", "Reuse"),
    "reuse_yes": ("kan gjenbrukes", "reusable"),
    "reuse_parts": ("KUN DELER – låst til tidligere eier", "PARTS ONLY – locked to previous owner"),
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
    "page_of": ("av", "of"),
    "continued": ("fortsatt", "continued"),
    "supersedes": ("Erstatter attest", "Supersedes certificate"),
    "reset_route": ("Tilbakestilling", "Reset route"),
    "route_test_harness": ("Test Harness-modus over ADB", "Test Harness Mode over ADB"),
    "route_guided_recovery": (
        "Gjenopprettingsmodus, valgt av teknikeren",
        "Recovery mode, chosen by the technician",
    ),
    "route_broadcast": ("Fabrikktilbakestilling over ADB", "Factory reset over ADB"),
    "route_mobilebackup2": (
        "Slett alt innhold (iOS mobilebackup2)",
        "Erase all content (iOS mobilebackup2)",
    ),
    "route_mcinstall": (
        "Slett alt innhold (iOS profiltjeneste)",
        "Erase all content (iOS profile service)",
    ),
    "blocker_frp_account": ("Google-konto (FRP)", "Google account (FRP)"),
    "blocker_google_accounts": ("Google-kontoer", "Google accounts"),
    "blocker_owner_lock_accounts": (
        "Eierlås-kontoer (Google FRP, Samsung, Xiaomi, Huawei, HONOR)",
        "Owner-lock accounts (Google FRP, Samsung, Xiaomi, Huawei, HONOR)",
    ),
    "blocker_activation_lock": ("Aktiveringslås / Finn min", "Activation Lock / Find My"),
    "blocker_mdm": ("Fjernstyring (MDM)", "Device management (MDM)"),
    "blocker_sim_present": ("SIM-kort", "SIM card"),
    "blocker_battery_low": ("Lavt batteri", "Low battery"),
    "blocker_passcode_locked": ("Låst med kode", "Locked with a passcode"),
    "blocker_not_encrypted": ("Lagring ikke kryptert", "Storage not encrypted"),
    "blocker_debugging_off": ("USB-feilsøking av", "USB debugging off"),
    "blocker_not_trusted": ("Datamaskinen ikke godkjent", "Computer not trusted"),
    "blocker_other": ("Kontroll", "Check"),
    "handwritten": ("Underskrift", "Signature"),
    # Recycling hand-over manifest
    "m_title": ("Overleveringsmanifest – gjenvinning", "Recycling hand-over manifest"),
    "m_subtitle": (
        "Telefoner slettet og attestert, overlevert til gjenvinner",
        "Phones erased and certified, handed over to the recycler",
    ),
    "batch_id": ("Parti-ID", "Batch ID"),
    "depot": ("Avsender (depot)", "From (depot)"),
    "recycler": ("Mottaker (gjenvinner)", "Recycler"),
    "created": ("Opprettet", "Created"),
    "handed_over": ("Overlevert", "Handed over"),
    "phone_count": ("Antall telefoner", "Number of phones"),
    "s_phones": ("Telefoner", "Phones"),
    "s_by_platform": ("Antall per plattform", "Count by platform"),
    "s_by_model": ("Antall per modell", "Count by model"),
    "s_signatures": ("Overlevering", "Hand-over"),
    "for_depot": ("For depotet", "For the depot"),
    "for_recycler": ("For gjenvinner", "For the recycler"),
    "row_no": ("Nr.", "No."),
    "platform_short": ("Plattform", "Platform"),
    "make_model": ("Produsent og modell", "Make and model"),
    "count": ("Antall", "Count"),
    "sign_name": ("Navn (blokkbokstaver)", "Name (block letters)"),
    "sign_date": ("Dato", "Date"),
    "emulated_short": ("EMULERT", "EMULATED"),
    "parts_only": ("KUN DELER", "PARTS ONLY"),
    "parts_only_count": ("Kun deler (låst til eier)", "Parts only (owner-locked)"),
    "handed_over_by": ("Overlevert av (depot)", "Handed over by (depot)"),
    "received_by": ("Mottatt av (gjenvinner)", "Received by (recycler)"),
    "draft": (
        "UTKAST – partiet er åpent; manifestet er ikke signert og gjelder ikke som overlevering",
        "DRAFT – the batch is open; this manifest is not signed and is no hand-over record",
    ),
    "draft_mark": ("UTKAST", "DRAFT"),
    "m_verify_hint": (
        "Kontroller: wipe-station batch verify FIL.pdf --public-key stasjon.pem",
        "Verify: wipe-station batch verify FILE.pdf --public-key station.pem",
    ),
    "emulated_count": ("Emulerte telefoner", "Emulated phones"),
    # Aggregated employer report
    "r_title": ("Rapport om slettede telefoner", "Report on erased phones"),
    "r_subtitle": (
        "Kun aggregerte tall; antall under 5 vises som «<5»",
        'Aggregated figures only; counts below 5 are shown as "<5"',
    ),
    "period": ("Periode", "Period"),
    "generated": ("Laget", "Generated"),
    "s_by_month": ("Per måned", "By month"),
    "s_by_outcome": ("Per utfall", "By outcome"),
    "month": ("Måned", "Month"),
    "outcome": ("Utfall", "Outcome"),
    "cleared": ("fjernet", "cleared"),
    "not_cleared": ("IKKE FJERNET", "NOT CLEARED"),
    "no_blockers": ("ingen funnet", "none found"),
}


def both(key: str) -> str:
    nb, en = L[key]
    return nb if nb == en else f"{nb} / {en}"
