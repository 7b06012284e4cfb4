"""Who may do what. Enforced in the application core: the CLI and the UI both ask here."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    TECHNICIAN = "technician"
    LOGISTICS = "logistics"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Permission(StrEnum):
    WIPE = "wipe"  # start erasures, retry, re-verify
    CERTIFY = "certify"  # issue certificates for verified erasures
    QUARANTINE = "quarantine"
    ENTER_IMEI = "enter_imei"
    VIEW_DEVICES = "view_devices"
    PRINT_CERTIFICATES = "print_certificates"
    MANAGE_BATCHES = "manage_batches"
    MANAGE_CUSTOMERS = "manage_customers"
    IMPORT_INTAKE = "import_intake"
    REPORTS = "reports"
    VERIFY_AUDIT = "verify_audit"
    EXPORT_AUDIT = "export_audit"
    EXPORT_RECORDS = "export_records"
    MANAGE_USERS = "manage_users"
    RETENTION = "retention"
    PRIVACY_EXPORT = "privacy_export"
    RELEASE_QUARANTINE = "release_quarantine"
    RELEASE_ERASURE = "release_erasure"  # certify an attested erasure held for a supervisor
    SETTINGS = "settings"


P = Permission
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.TECHNICIAN: frozenset(
        {P.WIPE, P.CERTIFY, P.QUARANTINE, P.ENTER_IMEI, P.VIEW_DEVICES, P.PRINT_CERTIFICATES}
    ),
    Role.LOGISTICS: frozenset(
        {
            P.VIEW_DEVICES,
            P.PRINT_CERTIFICATES,
            P.MANAGE_BATCHES,
            P.MANAGE_CUSTOMERS,
            P.IMPORT_INTAKE,
            P.REPORTS,
        }
    ),
    Role.AUDITOR: frozenset(
        {P.VIEW_DEVICES, P.PRINT_CERTIFICATES, P.VERIFY_AUDIT, P.EXPORT_AUDIT, P.EXPORT_RECORDS}
    ),
    Role.ADMIN: frozenset(Permission),
}


def allowed(role: Role | str, permission: Permission) -> bool:
    return permission in GRANTS[Role(role)]
