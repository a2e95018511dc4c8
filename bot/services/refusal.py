"""A service's polite no: what it refused, as the message id a person is shown."""

from __future__ import annotations


class Refused(ValueError):
    """Not possible now; `reason` names the message to show (a message id in locales/)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
