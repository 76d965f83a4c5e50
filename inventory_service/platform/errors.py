"""The domain error tree. Services raise these; api/errors.py maps them once to HTTP.

Rules: every error has a stable snake_case `code` from the contract; `details` is a list of
`{"field", "reason"}` (or other plain JSON) safe to show to the caller; no message carries
another customer's data.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class ValidationFailed(DomainError):
    code = "validation_error"

    @classmethod
    def field(cls, field: str, reason: str) -> ValidationFailed:
        """One bad field, named, with why."""
        return cls(f"{field}: {reason}", details=[{"field": field, "reason": reason}])


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency_key_reused"


class Conflict(DomainError):
    code = "conflict"


class DuplicateSerial(Conflict):
    code = "duplicate_serial"


class InvalidTransition(Conflict):
    code = "illegal_transition"


class NoSpareAvailable(Conflict):
    code = "no_spare_available"


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"


class PreconditionFailed(DomainError):
    code = "precondition_failed"


class PayloadTooLarge(DomainError):
    """A body, or a file once unpacked, over its documented cap (refused before the work grows)."""

    code = "payload_too_large"


class ServiceUnavailable(DomainError):
    """Retry later: the database is locked past its busy timeout or cannot be reached, or a
    feature's backing service is not configured (e.g. live changes without Redis)."""

    code = "service_unavailable"
    retry_after_seconds = 5
