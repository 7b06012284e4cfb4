"""After the phone returns: is it really a fresh, unactivated phone that forgot the station?

Level READBACK: every verdict comes from values the phone itself gave in a session opened at
Setup Assistant. Activation Lock is read from NVRAM (activation_lock.judge); a phone that came
back locked is erased (VERIFIED) but not reusable, and so is one whose lock cannot be read.
"""

from __future__ import annotations

from typing import Any

from pymobiledevice3.exceptions import MissingValueError

from drivers.contract import (
    ActivationLock,
    DeviceFacts,
    EvidenceItem,
    Outcome,
    VerificationLevel,
    VerifyResult,
)
from drivers.ios import activation_lock
from drivers.ios.errors import translated
from drivers.ios.evidence import get_value_request, item
from drivers.ios.lockdown import GuardedLockdown, open_lockdown_retrying
from drivers.ios.muxhub import MuxHub
from drivers.ios.nvram import read_nvram
from drivers.ios.pairing import TrustState, ensure_trust
from drivers.ios.records import PairRecordStore
from drivers.ios.stale_pairing import old_pairing_rejected

STEP = "verify"
ERASE_RECORD_KEYS = ("obliteration", "oblit-begins")


async def verify_returned_phone(
    udid: str,
    usbmux_address: str,
    store: PairRecordStore,
    facts: DeviceFacts | None,
    *,
    reconnect_s: float = 60.0,
    hub: MuxHub | None = None,
    old_record: dict[str, Any] | None = None,
    old_pairing: tuple[bool, str] | None = None,
) -> VerifyResult:
    """``old_record``: the station's pre-erase pair record, when the store no longer holds it
    (pairing again after a stop replaced it), and ``old_pairing`` what the phone answered to it
    before it was paired again (then it is not asked again: with the station's one host
    identity, a new pairing would make the old HostID known again)."""
    old_record = old_record if old_record is not None else store.load(udid)
    with translated("reconnecting to the erased phone"):
        client = await open_lockdown_retrying(
            udid, usbmux_address, store, timeout_s=reconnect_s, hub=hub
        )
    try:
        evidence: list[EvidenceItem] = []
        if not _same_device(client, udid, facts, evidence):
            return _result(Outcome.FAILED, "A different phone came back on this port.", evidence)
        # 1. The station's pre-erase pairing must be gone: the phone forgot every host.
        if old_record is None:
            return _result(Outcome.FAILED, "No pre-erase pair record to test against.", evidence)
        rejected, answer = old_pairing or await old_pairing_rejected(
            udid, usbmux_address, store, old_record, reconnect_s, hub=hub
        )
        request = f"lockdown StartSession HostID={old_record.get('HostID')} (+TLS)"
        evidence.append(item(STEP, "old_pairing_rejected", request, answer, rejected))
        if not rejected:
            return _result(
                Outcome.FAILED,
                "The phone still accepts the station's pre-erase pairing: it was not erased.",
                evidence,
            )
        _record_device_name(client, evidence)
        return await _read_back(client, udid, store, evidence)
    finally:
        await client.close()


def _same_device(
    client: GuardedLockdown, udid: str, facts: DeviceFacts | None, evidence: list[EvidenceItem]
) -> bool:
    public = client.all_values
    same = public.get("UniqueDeviceID") == udid and (
        facts is None or public.get("ProductType") == facts.model_code
    )
    shown = {k: public.get(k) for k in ("UniqueDeviceID", "ProductType")}
    evidence.append(item(STEP, "same_device", "lockdown GetValue (no session)", shown, same))
    return same


def _record_device_name(client: GuardedLockdown, evidence: list[EvidenceItem]) -> None:
    # A name the owner chose ("Kari's iPhone") is personal data: record only whether it is the
    # factory default, never the name itself.
    name = client.all_values.get("DeviceName")
    evidence.append(
        item(
            STEP,
            "device_name",
            "lockdown GetValue Key=DeviceName (no session)",
            "factory default (iPhone)" if name == "iPhone" else "custom name (not recorded)",
            name == "iPhone",
        )
    )


async def _read_back(
    client: GuardedLockdown, udid: str, store: PairRecordStore, evidence: list[EvidenceItem]
) -> VerifyResult:
    # 2. A phone in Setup Assistant pairs without a dialog; one that asks has been set up.
    store.delete(udid)
    client.pair_record = None
    state, answer = await ensure_trust(client, None, timeout_s=0, poll_s=0)
    evidence.append(
        item(STEP, "setup_assistant_pairing", "lockdown Pair", answer, state is TrustState.PAIRED)
    )
    if state is not TrustState.PAIRED:
        return _result(
            Outcome.FAILED,
            f"The phone forgot the station but asked for trust after the erase ({answer}): it "
            "is not at Setup Assistant, so its factory state cannot be read back.",
            evidence,
        )
    try:
        activation = await _get(
            client, None, "ActivationState", "activation_state", evidence, _is_unactivated
        )
        # A fresh phone may have no purplebuddy record at all: absent means "not set up".
        setup_done = await _get(
            client, "com.apple.purplebuddy", "SetupDone", "setup_done", evidence, _not_true
        )
        nvram = await read_nvram(client)
        associated = await _get(
            client, "com.apple.fmip", "IsAssociated", "find_my_associated", evidence, _not_true
        )
        await _get(client, "com.apple.disk_usage", None, "disk_usage", evidence, lambda v: True)
    finally:
        await _unpair(client, udid, store, evidence)

    _quote_erase_record(nvram, evidence)
    lock, why = activation_lock.judge(nvram, associated)
    evidence.append(
        item(
            STEP,
            "activation_lock",
            "lockdown GetValue Key=NonVolatileRAM (fm-activation-locked, fm-spstatus)",
            f"{lock.value}: {why}",
            lock is ActivationLock.NOT_LOCKED,
        )
    )
    if activation != "Unactivated" or setup_done is True:
        shown = "not set up" if setup_done is not True else "set up"
        return _result(
            Outcome.FAILED,
            f"The phone came back {activation} and {shown}: the erase did not take.",
            evidence,
        )
    base = (
        "Erased: the phone is unactivated at Setup Assistant and no longer knows the station's "
        "pairing."
    )
    if lock is ActivationLock.LOCKED:
        reason = (
            "Erased, but Activation Lock is on: the phone stays locked to the previous owner's "
            f"Apple ID until they release it ({why})."
        )
        return _result(Outcome.VERIFIED, reason, evidence, lock=lock, lock_reason=why)
    if lock is ActivationLock.UNKNOWN:
        reason = f"{base} Activation Lock unknown: {why}."
        return _result(Outcome.VERIFIED, reason, evidence, lock=lock, lock_reason=why)
    return _result(Outcome.VERIFIED, base, evidence, lock=lock, lock_reason="")


def _is_unactivated(value: Any) -> bool:
    return value == "Unactivated"


def _not_true(value: Any) -> bool:
    return value is not True


def _quote_erase_record(nvram: dict[str, str] | None, evidence: list[EvidenceItem]) -> None:
    """The phone's own note of the erase (e.g. "Obliteration Complete"), when it keeps one."""
    found = {k: (nvram or {})[k] for k in ERASE_RECORD_KEYS if (nvram or {}).get(k)}
    if found:
        evidence.append(
            item(
                STEP,
                "erase_record",
                "lockdown GetValue Key=NonVolatileRAM (obliteration, oblit-begins)",
                found,
                True,
            )
        )


async def _get(
    client: GuardedLockdown,
    domain: str | None,
    key: str | None,
    check: str,
    evidence: list[EvidenceItem],
    good: Any,
) -> Any:
    with translated(f"reading {key or domain}"):
        try:
            value = await client.get_value(domain, key)
        except MissingValueError:
            value = None
    shown = "absent" if value is None else value
    evidence.append(item(STEP, check, get_value_request(domain, key), shown, bool(good(value))))
    return value


async def _unpair(
    client: GuardedLockdown, udid: str, store: PairRecordStore, evidence: list[EvidenceItem]
) -> None:
    """Leave the fresh phone as found: no pairing with the station survives verification."""
    try:
        with translated("removing the station's pairing"):
            await client.unpair()
        evidence.append(item(STEP, "station_unpaired", "lockdown Unpair", "ok", True))
    finally:
        store.delete(udid)


def _result(
    outcome: Outcome,
    reason: str,
    evidence: list[EvidenceItem],
    *,
    lock: ActivationLock | None = None,
    lock_reason: str = "",
) -> VerifyResult:
    verified = outcome is Outcome.VERIFIED
    # Reusable only when the phone itself says it is not locked: "unknown" is never taken for
    # "not locked", so such a phone is erased but not released for reuse.
    return VerifyResult(
        outcome,
        reason,
        tuple(evidence),
        reusable=verified and lock is ActivationLock.NOT_LOCKED,
        level=VerificationLevel.READBACK if verified else None,
        activation_lock=lock,
        activation_lock_reason=lock_reason,
    )
