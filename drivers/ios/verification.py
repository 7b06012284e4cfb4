"""After the phone returns: is it really a fresh, unactivated phone that forgot the station?"""

from __future__ import annotations

from typing import Any

from pymobiledevice3.exceptions import InvalidHostIDError, MissingValueError

from drivers.contract import DeviceFacts, EvidenceItem, Outcome, VerifyResult
from drivers.ios.errors import translated
from drivers.ios.evidence import get_value_request, item
from drivers.ios.lockdown import GuardedLockdown, open_lockdown
from drivers.ios.pairing import TrustState, ensure_trust
from drivers.ios.records import PairRecordStore

STEP = "verify"


async def verify_returned_phone(
    udid: str, usbmux_address: str, store: PairRecordStore, facts: DeviceFacts | None
) -> VerifyResult:
    old_record = store.load(udid)
    with translated("reconnecting to the erased phone"):
        client = await open_lockdown(udid, usbmux_address, store, validate=False)
    try:
        return await _verify(client, udid, store, facts, old_record)
    finally:
        await client.close()


async def _verify(
    client: GuardedLockdown,
    udid: str,
    store: PairRecordStore,
    facts: DeviceFacts | None,
    old_record: dict[str, Any] | None,
) -> VerifyResult:
    evidence: list[EvidenceItem] = []
    public = client.all_values
    same = public.get("UniqueDeviceID") == udid and (
        facts is None or public.get("ProductType") == facts.model_code
    )
    evidence.append(
        item(
            STEP,
            "same_device",
            "lockdown GetValue (no session)",
            {
                "UniqueDeviceID": public.get("UniqueDeviceID"),
                "ProductType": public.get("ProductType"),
            },
            same,
        )
    )
    if not same:
        return _result(Outcome.FAILED, "A different phone came back on this port.", evidence)

    # 1. The station's pre-erase pairing must be gone: the phone forgot every host.
    if old_record is None:
        return _result(Outcome.FAILED, "No pre-erase pair record to test against.", evidence)
    host_id = str(old_record.get("HostID"))
    request = f"lockdown StartSession HostID={host_id}"
    with translated("testing the old pairing"):
        try:
            await client._request(
                "StartSession",
                {"HostID": host_id, "SystemBUID": old_record.get("SystemBUID", client.system_buid)},
            )
            rejected = False
        except InvalidHostIDError:
            rejected = True
    evidence.append(
        item(
            STEP,
            "old_pairing_rejected",
            request,
            "InvalidHostID" if rejected else "session started",
            rejected,
        )
    )
    if not rejected:
        return _result(
            Outcome.FAILED,
            "The phone still accepts the station's pre-erase pairing: it was not erased.",
            evidence,
        )
    name = public.get("DeviceName")
    # A name the owner chose ("Kari's iPhone") is personal data: record only whether it is the
    # factory default, never the name itself.
    evidence.append(
        item(
            STEP,
            "device_name",
            "lockdown GetValue Key=DeviceName (no session)",
            "factory default (iPhone)" if name == "iPhone" else "custom name (not recorded)",
            name == "iPhone",
        )
    )

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
            f"The phone asked for trust after the erase ({answer}): it is not at Setup Assistant.",
            evidence,
        )
    try:
        activation = await _get(
            client,
            None,
            "ActivationState",
            "activation_state",
            evidence,
            lambda v: v == "Unactivated",
        )
        setup_done = await _get(
            client,
            "com.apple.purplebuddy",
            "SetupDone",
            "setup_done",
            evidence,
            lambda v: v is False,
        )
        find_my = await _get(
            client,
            "com.apple.fmip",
            "IsAssociated",
            "activation_lock",
            evidence,
            lambda v: v is not True,
        )
        await _get(client, "com.apple.disk_usage", None, "disk_usage", evidence, lambda v: True)
    finally:
        await _unpair(client, udid, store, evidence)

    if activation != "Unactivated" or setup_done is not False:
        return _result(
            Outcome.FAILED,
            f"The phone came back {activation} with setup "
            f"{'done' if setup_done else 'not done'}: the erase did not take.",
            evidence,
        )
    if find_my is True:
        return _result(
            Outcome.VERIFIED,
            "Erased, but the phone is activation-locked to the "
            "previous owner's Apple ID: not reusable until they release it.",
            evidence,
            reusable=False,
        )
    return _result(
        Outcome.VERIFIED,
        "Erased: the phone is unactivated at Setup Assistant and "
        "no longer knows the station's pairing.",
        evidence,
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
    evidence.append(item(STEP, check, get_value_request(domain, key), value, bool(good(value))))
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
    outcome: Outcome, reason: str, evidence: list[EvidenceItem], *, reusable: bool | None = None
) -> VerifyResult:
    if reusable is None:
        reusable = outcome is Outcome.VERIFIED
    return VerifyResult(outcome, reason, tuple(evidence), reusable=reusable)
