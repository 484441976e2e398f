"""One error hierarchy for the whole platform (HackSoft styleguide): services raise these,
views show them, and the API renders every one of them in the same shape (core.api_errors)."""

from typing import Any


class ApplicationError(Exception):
    """A request that the platform refuses for a reason the user can act on."""

    status_code = 400
    code = "invalid"

    def __init__(
        self, message: str, *, field: str | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class ValidationFailedError(ApplicationError):
    """Input failed validation; `extra["errors"]` may list each field or row and why."""

    code = "validation_failed"


class PermissionDeniedError(ApplicationError):
    status_code = 403
    code = "permission_denied"


class NotFoundError(ApplicationError):
    status_code = 404
    code = "not_found"


class ConflictError(ApplicationError):
    """Someone else changed the thing first (two people acting on one object at once)."""

    status_code = 409
    code = "conflict"


class AuditEventImmutableError(ApplicationError):
    """Someone tried to edit or delete an audit event; the log is append-only (等保 level 3)."""

    status_code = 409
    code = "audit_immutable"
