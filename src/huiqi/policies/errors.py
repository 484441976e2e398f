"""Errors of the policy library: each an ApplicationError subclass with a specific Chinese message."""

from huiqi.core.errors import ApplicationError, ConflictError, NotFoundError, ValidationFailedError


class PolicyItemNotFoundError(NotFoundError):
    """No policy item (or no version of it) with that code."""


class PolicyRulesInvalidError(ValidationFailedError):
    """An item's eligibility, reward or examples do not validate; `extra["errors"]` lists each
    fault as {"path", "message"}."""


class PolicyExampleFailedError(ValidationFailedError):
    """One or more of an item's example cases give another result than they expect; `extra["errors"]`
    lists each failing example with what it expected and what it got."""


class PolicyTransitionNotAllowedError(ConflictError):
    """The version is not in a status from which this step may be taken (workflow.py)."""


class PolicyVersionImmutableError(ConflictError):
    """Someone tried to change the content of a version that has left the draft status."""


class PolicySearchCacheUnwritableError(ApplicationError):
    """The token cache of policy search (POLICY_SEARCH_CACHE_DIR) could not be written."""

    status_code = 500
    code = "policy_search_cache_unwritable"
