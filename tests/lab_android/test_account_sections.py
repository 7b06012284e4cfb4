"""`dumpsys account` on a lab phone: one section per user, as AccountManagerService.dump prints
it, and the station's type count across all of them (docs/lab-fidelity.md)."""

from __future__ import annotations

import re

from drivers.android.allowlist import SHELL
from drivers.emulated.android import shell
from drivers.emulated.android.lab import AndroidLab
from drivers.emulated.android.profile import load_profile


def test_a_work_profile_has_its_own_section_and_is_counted(lab: AndroidLab) -> None:
    phone = lab.attach(load_profile("pixel-8-work-profile-google"), tcp_port=None)
    dump, _ = shell.run(phone.phone.state, "dumpsys account")
    sections = re.findall(r"^User UserInfo\{(\d+):[^}]*\}:\n  Accounts: (\d+)$", dump, re.M)
    assert sections == [("0", "0"), ("10", "1")]
    counted, _ = shell.run(phone.phone.state, SHELL["account_types"])
    assert counted == "      1 com.google\n"
    assert "canary" in dump and "canary" not in counted  # the names stay on the phone


def test_sed_sort_and_uniq_as_toybox_answers_them(lab: AndroidLab) -> None:
    phone = lab.attach(
        load_profile("pixel-8-clean").with_overrides(
            accounts=["com.whatsapp", "com.google", "com.whatsapp"]
        ),
        tcp_port=None,
    )
    counted, status = shell.run(phone.phone.state, SHELL["account_types"])
    assert status == 0
    assert counted == "      1 com.google\n      2 com.whatsapp\n"
    bad, status = shell.run(phone.phone.state, "dumpsys account | sed 'y/a/b/'")
    assert status == 1 and bad.startswith("sed: bad script")
