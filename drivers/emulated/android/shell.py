"""What `adb shell` sees on a lab phone: a small /system/bin/sh with the commands a station (or a
curious person) might run, answering in the formats real Android builds print.

Pipelines into `grep`, `grep -c`, `wc -l` and `tail` work, because a careful station counts on the
phone instead of reading user data off it. A careless one gets the owner's data (`owner.py`):
account names, file names, messages and contacts.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING

from drivers.emulated.android import owner

if TYPE_CHECKING:
    from drivers.emulated.android.phone import PhoneState

SH = "/system/bin/sh"
Result = tuple[str, int]  # (output, exit status)


def run(state: PhoneState, command: str) -> Result:
    """Run one command line the way `sh -c` would, for the lab's purposes."""
    stages = [s.strip() for s in _split_pipes(command)]
    if not stages or not stages[0]:
        return "", 0
    captured = _captured(state, stages[0])
    out, status = captured if captured is not None else _simple(state, stages[0])
    for stage in stages[1:]:
        out, status = _filter(stage, out)
    return out, status


def _split_pipes(command: str) -> list[str]:
    parts, current, quote = [], "", ""
    for ch in command:
        if quote:
            current += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            current += ch
        elif ch == "|":
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _words(stage: str) -> list[str]:
    try:
        words = shlex.split(stage)
    except ValueError:
        return ["\x00syntax"]
    # Redirections of stderr are accepted and ignored.
    return [w for w in words if not re.fullmatch(r"2>(&1|/dev/null)", w)]


def _filter(stage: str, text: str) -> Result:
    words = _words(stage)
    lines = text.splitlines()
    if words[:1] == ["wc"] and "-l" in words:
        return f"{len(lines)}\n", 0
    if words[:1] == ["grep"]:
        count = "-c" in words
        invert = "-v" in words
        pattern = [w for w in words[1:] if not w.startswith("-")]
        if not pattern:
            return "usage: grep [-c] PATTERN\n", 2
        hits = [ln for ln in lines if (pattern[0] in ln) != invert]
        if count:
            return f"{len(hits)}\n", 0 if hits else 1
        return "".join(f"{h}\n" for h in hits), 0 if hits else 1
    if words[:1] == ["sed"] and len(words) == 2:
        return _sed(words[1], lines)
    if words == ["sort"]:
        return "".join(f"{ln}\n" for ln in sorted(lines)), 0
    if words == ["uniq", "-c"]:
        # toybox uniq -c: the count right-aligned in 7 columns, a space, the line.
        runs: list[list] = []
        for ln in lines:
            if runs and runs[-1][1] == ln:
                runs[-1][0] += 1
            else:
                runs.append([1, ln])
        return "".join(f"{n:7d} {ln}\n" for n, ln in runs), 0
    if words[:1] == ["tail"] and len(words) == 3 and words[1] == "-n" and words[2].isdigit():
        keep = lines[-int(words[2]) :] if int(words[2]) else []
        return "".join(f"{ln}\n" for ln in keep), 0
    return f"{SH}: {words[0] if words else ''}: inaccessible or not found\n", 127


def _sed(script: str, lines: list[str]) -> Result:
    """`sed 's/RE/TEXT/;…'`: the substitutions a station may ask for (first match per line;
    a basic regular expression's `.`, `*` and literals read the same in Python)."""
    subs = []
    for part in script.split(";"):
        match = re.fullmatch(r"s/((?:[^/\\]|\\.)*)/((?:[^/\\]|\\.)*)/", part.strip())
        if match is None:
            return f"sed: bad script '{part}'\n", 1
        subs.append((re.compile(match.group(1)), match.group(2)))
    out = []
    for ln in lines:
        for rx, text in subs:
            ln = rx.sub(text.replace("\\", "\\\\"), ln, count=1)
        out.append(ln)
    return "".join(f"{ln}\n" for ln in out), 0


def _captured(state: PhoneState, stage: str) -> Result | None:
    """A real phone's answer from the profile's ``captured:`` map, if it has one."""
    captures = state.profile.captured
    if not captures:
        return None
    words = _words(stage)
    base = " ".join(words)
    if base in captures:
        return _capture_result(captures[base])
    if words[:1] == ["getprop"] and len(words) == 2 and "getprop" in captures:
        # `getprop NAME` answers from a captured full `getprop` listing.
        listing, _ = _capture_result(captures["getprop"])
        for line in listing.splitlines():
            match = re.fullmatch(r"\[(.+?)\]: \[(.*)\]", line.strip())
            if match and match.group(1) == words[1]:
                return f"{match.group(2)}\n", 0
        return "\n", 0
    return None


def _capture_result(capture: object) -> Result:
    if isinstance(capture, dict):
        return str(capture.get("stdout", "")), int(capture.get("exit", 0))
    return str(capture), 0


def _simple(state: PhoneState, stage: str) -> Result:
    words = _words(stage)
    if words == ["\x00syntax"]:
        return f"{SH}: syntax error: unterminated quoted string\n", 2
    handler = COMMANDS.get(words[0])
    if handler is None:
        return f"{SH}: {words[0]}: inaccessible or not found\n", 127
    return handler(state, words[1:])


def _getprop(state: PhoneState, args: list[str]) -> Result:
    props = state.properties()
    if not args:
        return "".join(f"[{k}]: [{v}]\n" for k, v in sorted(props.items())), 0
    return f"{props.get(args[0], args[1] if len(args) > 1 else '')}\n", 0


def _settings(state: PhoneState, args: list[str]) -> Result:
    if len(args) == 3 and args[0] == "get" and args[1] in ("secure", "global", "system"):
        return f"{state.settings().get((args[1], args[2]), 'null')}\n", 0
    if args[:1] == ["put"]:
        return (
            "Exception occurred while executing 'put':\njava.lang.SecurityException: "
            "Permission denial: writing to settings requires:"
            "android.permission.WRITE_SECURE_SETTINGS\n",
            255,
        )
    return "usage:  settings [--user <USER_ID> | current] get namespace key\n", 255


def _dumpsys(state: PhoneState, args: list[str]) -> Result:
    if args == ["account"]:
        return _dumpsys_account(state), 0
    if args == ["device_policy"]:
        return _dumpsys_device_policy(state), 0
    if args == ["lock_settings"]:
        return _dumpsys_lock_settings(state), 0
    if args == ["battery"]:
        p = state.profile
        return (
            "Current Battery Service state:\n  AC powered: false\n  USB powered: true\n"
            f"  Wireless powered: false\n  status: 2\n  health: 2\n  present: true\n"
            f"  level: {p.battery}\n  scale: 100\n  voltage: 3921\n  temperature: 281\n"
            "  technology: Li-ion\n",
            0,
        )
    return f"Can't find service: {args[0] if args else ''}\n", 0


def _dumpsys_lock_settings(state: PhoneState) -> str:
    """LockSettingsService.dump. Android 11 added the per-user "CredentialType: None/Pin/…"
    line (credentialTypeToString); Android 10's dump prints only the synthetic-password handle
    and SID per user, so a station reading an Android 10 phone cannot learn the lock type from
    it (docs/lab-fidelity.md). The handle and SID values are the lab's own."""
    if state.profile.sdk < 30:
        # GateKeeper gives a user a secure id only once a credential is set.
        sid = "0" if state.lock_screen == "none" else "4d2c8e1f0a9b3c75"
        return (
            "Current lock settings service state:\nSP Enabled = true\n    User 0\n"
            f"        SP Handle = 6b3f2a1c9d8e7f60\n        SID = {sid}\n"
        )
    credential = {"none": "None", "pin": "Pin", "pattern": "Pattern", "password": "Password"}
    return (
        "Current lock settings service state:\n\nUser State:\n  User 0\n"
        f"    Quality: 0\n    CredentialType: {credential[state.lock_screen]}\n"
        "    SeparateChallenge: false\n    Metrics: unknown\n\n"
    )


# Authenticators every phone with Google services registers, with or without accounts
# (RegisteredServicesCache in AccountManagerService's dump; see tests/fixtures/real/android).
AUTHENTICATORS = (
    (
        "com.google.android.gm.pop3",
        "com.google.android.gm/com.android.email.service.Pop3AuthenticatorService",
        10174,
    ),
    (
        "com.google",
        "com.google.android.gms/com.google.android.gms.auth.account.authenticator."
        "GoogleAccountAuthenticatorService",
        10219,
    ),
    (
        "com.google.android.gm.exchange",
        "com.google.android.gm/com.android.email.service.EasAuthenticatorService",
        10174,
    ),
)


def _dumpsys_account(state: PhoneState) -> str:
    # AccountManagerService.dump prints one section per user (work profiles, Secure Folder and
    # dual-apps spaces are users too), each with its accounts, history and authenticators.
    lines: list[str] = []
    for user_id, label, accounts in _account_users(state):
        lines += [f"User UserInfo{{{user_id}:{label}}}:", f"  Accounts: {len(accounts)}"]
        for i, kind in enumerate(accounts):
            # The name is personal data: what a careless tool would copy off the phone.
            name = owner.account_name(kind, accounts[:i].count(kind))
            lines.append(f"    Account {{name={name}, type={kind}}}")
        lines += [
            "  ",
            "  AccountId, Action_Type, timestamp, UID, TableName, Key",
            "  Accounts History",
            "  ",
            "  Active Sessions: 0",
            "  ",
            f"  RegisteredServicesCache: {len(AUTHENTICATORS)} services",
        ]
        lines += [
            f"    ServiceInfo: AuthenticatorDescription {{type={kind}}}, "
            f"ComponentInfo{{{comp}}}, uid {uid}"
            for kind, comp, uid in AUTHENTICATORS
        ]
        lines += ["  ", "  Account visibility:"]
    return "\n".join(lines) + "\n"


def _account_users(state: PhoneState) -> list[tuple[int, str, list[str]]]:
    """(user id, "name:flags", account types) per user, as `pm list users` numbers them; the
    profile's ``profile_accounts`` are signed in in the first extra user (a work profile)."""
    users = [(0, "Owner:c13", list(state.accounts))]
    for i in range(state.users - 1):
        users.append((10 + i, "Work profile:1030", list(state.profile_accounts) if i == 0 else []))
    return users


def _dumpsys_device_policy(state: PhoneState) -> str:
    """The owners part of DevicePolicyManagerService's dump (Owners.dump in AOSP)."""
    lines = ["Current Device Policy Manager state:"]
    if state.device_owner:
        package = state.device_owner.split("/", 1)[0]
        lines += [
            "  Device Owner: ",
            f"    admin=ComponentInfo{{{state.device_owner}}}",
            "    name=",
            f"    package={package}",
            "    User ID: 0",
        ]
    lines += ["", "  Enabled Device Admins (User 0, provisioningState: 3):"]
    return "\n".join(lines) + "\n"


# What `dpm` printed before Android 12 for a subcommand it does not know: BaseCommand prints
# the usage and "Error: <message>" (AOSP cmds/dpm Dpm.java, Android 10).
DPM_USAGE_Q = (
    "usage: dpm [subcommand] [options]\n"
    "usage: dpm set-active-admin [ --user <USER_ID> | current ] <COMPONENT>\n"
    "usage: dpm set-device-owner [ --user <USER_ID> | current *EXPERIMENTAL* ] "
    "[ --name <NAME> ] <COMPONENT>\n"
    "usage: dpm set-profile-owner [ --user <USER_ID> | current ] [ --name <NAME> ] "
    "<COMPONENT>\n"
    "usage: dpm remove-active-admin [ --user <USER_ID> | current ] [ --name <NAME> ] "
    "<COMPONENT>\n"
)


def _dpm(state: PhoneState, args: list[str]) -> Result:
    if state.profile.sdk < 31:
        # `list-owners` arrived with Android 12 (DevicePolicyManagerServiceShellCommand).
        command = args[0] if args else ""
        return f"{DPM_USAGE_Q}\nError: unknown command '{command}'\n", 1
    if args == ["list-owners"]:
        if state.device_owner:
            return f"1 owner:\nUser  0: admin={state.device_owner},DeviceOwner\n", 0
        return "no owners\n", 0
    return f"Unknown command: {args[0] if args else ''}\n", 255


def _cmd(state: PhoneState, args: list[str]) -> Result:
    if args[:1] != ["testharness"]:
        return f"cmd: Can't find service: {args[0] if args else ''}\n", 20
    if state.profile.sdk < 29:
        # TestHarnessModeService arrived with Android 10.
        return "cmd: Can't find service: testharness\n", 20
    if args[1:] != ["enable"]:
        return "Test Harness Mode commands:\n  help\n  enable|restore\n", 255
    # AOSP TestHarnessModeService.TestHarnessModeShellCommand, in this order.
    if state.lock_screen != "none":
        return "Test Harness Mode cannot be enabled if there is a lock screen\n", 2
    if not state.profile.test_harness:
        return "Failed to enable Test Harness Mode\n", 1
    state.request_test_harness()
    return "", 0


def _pm(state: PhoneState, args: list[str]) -> Result:
    if args == ["list", "users"]:
        lines = ["Users:", "\tUserInfo{0:Owner:c13} running"]
        lines += [f"\tUserInfo{{{10 + i}:Work profile:1030}}" for i in range(state.users - 1)]
        return "\n".join(lines) + "\n", 0
    if args[:2] == ["list", "packages"]:
        system = [
            "android",
            "com.android.settings",
            "com.android.systemui",
            "com.google.android.gms",
        ]
        # Installed from the store by the owner, and preloads the system installed itself.
        third = [(f"com.example.app{i}", "com.android.vending") for i in range(state.apps)]
        third += [(f"com.carrier.preload{i}", "null") for i in range(state.preloads)]
        listed = third if "-3" in args else [(n, "null") for n in system] + third
        if "-i" in args:
            return "".join(f"package:{n}  installer={i}\n" for n, i in listed), 0
        return "".join(f"package:{n}\n" for n, _ in listed), 0
    return "Error: unknown command\n", 255


def _storage_paths(state: PhoneState, target: str) -> list[str] | None:
    """Paths of the files below ``target`` (relative to it), or None if it is no folder."""
    rel = target.rstrip("/").removeprefix("/sdcard/").removeprefix("/storage/emulated/0/")
    folder = rel.split("/", 1)[0]
    if folder not in state.files:
        return None
    paths = [f"{folder}/{owner.file_name(folder, n)}" for n in range(1, state.files[folder] + 1)]
    below = [p.removeprefix(f"{rel}/") for p in paths if p.startswith(f"{rel}/")]
    if rel != folder and not below:
        return None
    return below


def _find(state: PhoneState, args: list[str]) -> Result:
    roots = [a for a in args if a.startswith("/")]
    out = []
    for root in roots:
        found = _storage_paths(state, root)
        if found is None:
            continue  # the error goes to stderr, which the station sends to /dev/null
        out += [f"{root.rstrip('/')}/{path}" for path in found]
    return "".join(f"{line}\n" for line in out), 0


def _ls(state: PhoneState, args: list[str]) -> Result:
    target = (args[-1] if args else "/").rstrip("/")
    if target in ("/sdcard", "/storage/emulated/0"):
        return "".join(f"{f}\n" for f in sorted(state.files)), 0
    found = _storage_paths(state, target)
    if found is not None:
        entries = dict.fromkeys(path.split("/", 1)[0] for path in found)
        return "".join(f"{entry}\n" for entry in entries), 0
    return f"ls: {target}: No such file or directory\n", 1


def _df(state: PhoneState, args: list[str]) -> Result:
    size_k = state.profile.storage_gb * 1024 * 1024
    used = size_k // 10 + sum(state.files.values()) * 3000
    return (
        "Filesystem     1K-blocks    Used Available Use% Mounted on\n"
        f"/dev/block/dm-46 {size_k} {used} {size_k - used} {used * 100 // size_k}% /data\n",
        0,
    )


def _am(state: PhoneState, args: list[str]) -> Result:
    if args[:1] == ["broadcast"] and "android.intent.action.FACTORY_RESET" in args:
        intent = (
            "Broadcasting: Intent { act=android.intent.action.FACTORY_RESET flg=0x400000 "
            "pkg=android }\n"
        )
        # FACTORY_RESET is not a protected broadcast, so `am` delivers it and reports
        # result=0 either way; MasterClearReceiver wants MASTER_CLEAR, which the shell user
        # lacks, so on a user build nothing happens. Only userdebug/eng builds reset here.
        if state.profile.build_type in ("userdebug", "eng"):
            state.request_factory_reset()
        return intent + "Broadcast completed: result=0\n", 0
    return "Error: unknown or unsupported am command\n", 255


CONTACT_URIS = (
    "content://com.android.contacts/contacts",
    "content://com.android.contacts/data/phones",
    "content://contacts/people",
)


def _content(state: PhoneState, args: list[str]) -> Result:
    """`content query --uri URI`: what the SMS and contacts providers give the shell user."""
    if args[:1] != ["query"] or "--uri" not in args[:-1]:
        return "usage: adb shell content [subcommand] [options]\n", 255
    uri = args[args.index("--uri") + 1]
    if uri == "content://sms" or uri.startswith("content://sms/"):
        rows = []
        for i in range(state.messages):
            address, body = owner.MESSAGES[i % len(owner.MESSAGES)]
            rows.append(
                f"_id={i + 1}, thread_id={i % 7 + 1}, address={address}, "
                f"date={1718000000000 + i * 60000}, read=1, type=1, body={body}"
            )
    elif uri in CONTACT_URIS:
        rows = []
        for i in range(state.contacts):
            name, number = owner.CONTACTS[i % len(owner.CONTACTS)]
            rows.append(f"_id={i + 1}, display_name={name}, number={number}")
    else:
        return (
            f"Error while accessing provider:{uri.removeprefix('content://').split('/')[0]}\n"
            "java.lang.IllegalArgumentException: Unknown authority\n",
            255,
        )
    if not rows:
        return "No result found.\n", 0
    return "".join(f"Row: {i} {row}\n" for i, row in enumerate(rows)), 0


def _recovery(state: PhoneState, args: list[str]) -> Result:
    return f"{SH}: recovery: inaccessible or not found\n", 127


def _id(state: PhoneState, args: list[str]) -> Result:
    return (
        "uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log) "
        "context=u:r:shell:s0\n",
        0,
    )


def _echo(state: PhoneState, args: list[str]) -> Result:
    return " ".join(args) + "\n", 0


COMMANDS: dict[str, Callable[[PhoneState, list[str]], Result]] = {
    "getprop": _getprop,
    "settings": _settings,
    "dumpsys": _dumpsys,
    "dpm": _dpm,
    "pm": _pm,
    "find": _find,
    "ls": _ls,
    "df": _df,
    "am": _am,
    "cmd": _cmd,
    "content": _content,
    "recovery": _recovery,
    "id": _id,
    "echo": _echo,
}
