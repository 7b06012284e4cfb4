"""The dates the station accepts: contract ends, report and export periods.

A contract end of 9999-12-31 used to be stored and then broke `retention run` for every
customer (adding the retention period left the calendar). Every date a person types is checked
against one range when it is entered; retention also stays within the calendar by itself.
"""

from __future__ import annotations

from datetime import date

from wipe_station.errors import StationError

EARLIEST = date(2000, 1, 1)  # before phones were leased with the station's kind of records
LATEST = date(2099, 12, 31)  # plus the longest retention periods still fits Python's calendar


def check(day: date, what: str = "date") -> date:
    """``day`` if it lies within [EARLIEST, LATEST]; a one-line error otherwise."""
    if not EARLIEST <= day <= LATEST:
        raise StationError(
            f"{what} {day.isoformat()} is out of range: use a date from "
            f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"
        )
    return day
