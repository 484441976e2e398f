"""Errors raised by the rules engine.

`huiqi.rules` is pure Python (no Django), so it cannot raise the platform's ``ApplicationError``
subclasses itself; the policies app turns :class:`RuleValidationError` into a
``ValidationFailedError`` with the same paths and messages.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleError:
    """One fault in a condition tree, reward or formula.

    ``path`` names the place in the item (``eligibility.all[1].any[0].value``); ``message`` says in
    Chinese what was expected there; ``message_en`` says the same in English for logs and API clients;
    ``code`` is a stable machine-readable kind; ``position`` is the 1-based character position inside a
    formula, when the fault is in one.
    """

    path: str
    code: str
    message: str
    message_en: str
    position: int | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class RuleValidationError(ValueError):
    """A condition tree, reward or formula was refused; ``errors`` lists every fault found."""

    def __init__(self, errors: list[RuleError] | tuple[RuleError, ...]) -> None:
        self.errors: tuple[RuleError, ...] = tuple(errors)
        super().__init__("; ".join(str(error) for error in self.errors))


class ProfileValueError(ValueError):
    """A profile fact has a value the engine cannot read (e.g. text where a number is expected)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")
