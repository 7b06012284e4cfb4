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
    out, status = _simple(state, stages[0])
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
    if words[:1] == ["tail"] and len(words) == 3 and words[1] == "-n" and words[2].isdigit():
        keep = lines[-int(words[2]) :] if int(words[2]) else []
        return "".join(f"{ln}\n" for ln in keep), 0
    return f"{SH}: {words[0] if words else ''}: inaccessible or not found\n", 127


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
        lines = ["User UserInfo{0:Owner:c13} (user 0):", f"  Accounts: {len(state.accounts)}"]
        for i, kind in enumerate(state.accounts):
            # The name is personal data: it is what a careless tool would copy off the phone.
            name = owner.account_name(kind, state.accounts[:i].count(kind))
            lines.append(f"    Account {{name={name}, type={kind}}}")
        lines += ["", "  Active Sessions: 0"]
        return "\n".join(lines) + "\n", 0
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


def _dpm(state: PhoneState, args: list[str]) -> Result:
    if args == ["list-owners"]:
        if state.device_owner:
            return f"1 owner:\nUser  0: admin={state.device_owner},DeviceOwner\n", 0
        return "no owners\n", 0
    return "Error: unknown command\n", 255


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
        if "-3" in args:
            return "".join(f"package:com.example.app{i}\n" for i in range(state.apps)), 0
        names = system + [f"com.example.app{i}" for i in range(state.apps)]
        return "".join(f"package:{n}\n" for n in names), 0
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
        intent = "Broadcasting: Intent { act=android.intent.action.FACTORY_RESET flg=0x400000 }\n"
        if state.profile.build_type in ("userdebug", "eng"):
            state.request_factory_reset()
            return intent + "Broadcast completed: result=0\n", 0
        return (
            intent + "Exception occurred while executing 'broadcast':\n"
            "java.lang.SecurityException: Permission Denial: not allowed to send broadcast "
            "android.intent.action.FACTORY_RESET from pid=7714, uid=2000\n",
            255,
        )
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
    "content": _content,
    "recovery": _recovery,
    "id": _id,
    "echo": _echo,
}
