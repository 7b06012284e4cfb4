"""Errors whose message is meant for the person at the station: one line, no traceback."""


class StationError(Exception):
    """A problem the user can act on. The CLI prints ``str(err)`` and exits non-zero."""

    exit_code = 2


class IllegalTransition(StationError):
    pass


class AccessDenied(StationError):
    exit_code = 3


class SignInFailed(StationError):
    exit_code = 3


class IntegrityFailure(StationError):
    """Stored evidence does not match what was signed: the audit chain or a certificate."""

    exit_code = 1


class NoStation(StationError):
    """A command that works on a station's records found no station in the home it looked at."""

    def __init__(self, home: object) -> None:
        super().__init__(
            f"no station in {home}: set one up with `wipe-station users add NAME --role admin` "
            "(or try the demo: `wipe-station demo`), or point at another home with --home DIR "
            "or WIPE_STATION_HOME"
        )


class DatabaseUnavailable(StationError):
    """The database did not do what was asked; ``kind`` says why (locked, deadlock, full,
    damaged, refused, lost, ...). ``transient``: waiting may cure it; ``at_commit``: it failed
    while committing, so the work may have been done and must not be tried again."""

    def __init__(self, message: str, kind: str, transient: bool, at_commit: bool) -> None:
        super().__init__(message)
        self.kind, self.transient, self.at_commit = kind, transient, at_commit

    @property
    def retryable(self) -> bool:
        return self.transient and not self.at_commit
