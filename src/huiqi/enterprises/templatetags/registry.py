"""Number formats of the registry pages.

Django's zh-hans locale has no thousands separator, so `intcomma` prints 1234567 for an integer but
1,234,567.00 for a decimal string. Registry pages show counts and amounts the way the city's
statistical and financial tables do (GB/T 15835-2011 leaves grouping to the document; the city's
tables group by three with commas): 1,234,567 and 1,234,567.00.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def thousands(value: Any) -> str:
    """1234567 -> "1,234,567"; None or text that is not a number comes back unchanged."""
    if value is None or value == "":
        return ""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def money(value: Any) -> str:
    """Yuan with two decimals, grouped: Decimal("12000000") -> "12,000,000.00"."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(value):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
