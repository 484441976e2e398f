"""Errors of the appeals app (STYLE.md: `<Thing><Problem>Error`, messages in Chinese)."""

from huiqi.core.errors import ConflictError, NotFoundError, ValidationFailedError


class TicketTransitionNotAllowedError(ConflictError):
    """The action is not allowed from the ticket's current state (workflow.TRANSITIONS)."""

    code = "transition_not_allowed"


class TicketVersionConflictError(ConflictError):
    """Someone else acted on the ticket since the caller read it (optimistic concurrency)."""

    code = "version_conflict"


class TicketHistoryImmutableError(ConflictError):
    code = "history_immutable"


class AppealInputInvalidError(ValidationFailedError):
    """A field of an appeal, reply, follow-up or extension is missing or wrong."""


class AttachmentRejectedError(ValidationFailedError):
    pass


class AppealNotFoundError(NotFoundError):
    pass
