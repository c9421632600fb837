"""The exception hierarchy shared by every saksi package.

    SaksiError
     ├── InputError          bad input from a person or a client (names field and value)
     │    └── NotFoundError  a code (TPS, region, contest, …) that does not exist
     └── StateError          a directory or store that is missing or inconsistent

Messages a person reads are bilingual: Bahasa Indonesia first, English second.
"""

from __future__ import annotations


class SaksiError(Exception):
    """Base of every error saksi raises on purpose."""

    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(f"{message_id} / {message_en}")
        self.message_id = message_id
        self.message_en = message_en


class InputError(SaksiError):
    """Input that cannot be accepted; ``field`` and ``value`` say exactly where."""

    def __init__(
        self, field: str, value: object, message_id: str, message_en: str
    ) -> None:
        super().__init__(message_id, message_en)
        self.field = field
        self.value = value

    def __str__(self) -> str:
        return f"{self.field}={self.value!r}: {self.message_id} / {self.message_en}"


class NotFoundError(InputError):
    """A code that names nothing in this election."""


class StateError(SaksiError):
    """A directory, store or log that is missing or not in the expected state."""
