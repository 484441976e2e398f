"""Errors of the enterprise registry (市场主体库).

Each is an ApplicationError subclass (huiqi.core.errors), so views, the API and the import report
show its Chinese message unchanged; the message says exactly what is wrong and why.
"""

from huiqi.core.errors import ValidationFailedError


class InvalidUsccError(ValidationFailedError):
    """A 统一社会信用代码 that does not conform to GB 32100-2015 (length, characters, registration
    authority, institution category, region segment or check character)."""
