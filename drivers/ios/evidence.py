"""Evidence items: what was asked, what the phone answered, when; answers bounded in length."""

from __future__ import annotations

from typing import Any

from drivers.contract import EvidenceItem

MAX_ANSWER = 300


def answer_text(value: Any) -> str:
    if isinstance(value, bytes):
        text = f"<{len(value)} bytes>"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {answer_text(v)}" for k, v in sorted(value.items())) + "}"
    else:
        text = str(value)
    return text if len(text) <= MAX_ANSWER else text[: MAX_ANSWER - 1] + "…"


def item(step: str, check: str, request: str, response: Any, ok: bool) -> EvidenceItem:
    return EvidenceItem(
        step=step, check=check, request=request, response=answer_text(response), ok=ok
    )


def get_value_request(domain: str | None, key: str | None) -> str:
    parts = ["lockdown GetValue"]
    if domain:
        parts.append(f"Domain={domain}")
    if key:
        parts.append(f"Key={key}")
    return " ".join(parts)
