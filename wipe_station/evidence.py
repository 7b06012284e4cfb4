"""The evidence record of a wipe job, in the one canonical form its digest is computed over.

A certificate quotes the digest; an auditor recomputes it from an evidence export.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from wipe_station.audit.chain import canonical
from wipe_station.db.models import Evidence
from wipe_station.timeutil import iso


def evidence_document(rows: Sequence[Evidence]) -> list[dict[str, Any]]:
    return [
        {
            "seq": r.seq,
            "step": r.step,
            "check": r.check,
            "request": r.request,
            "response": r.response,
            "ok": r.ok,
            "at": iso(r.at),
        }
        for r in sorted(rows, key=lambda r: r.seq)
    ]


def evidence_digest(rows: Sequence[Evidence]) -> str:
    return hashlib.sha256(canonical(evidence_document(rows))).hexdigest()


def job_evidence(session: Session, job_id: int) -> list[Evidence]:
    return list(session.exec(select(Evidence).where(Evidence.job_id == job_id)).all())
