"""The facts of one enterprise as the Python evaluator reads them.

A profile is any mapping from field names to values (a model's fields, a YAML example's ``profile``,
a CSV row).  :class:`Profile` reads each fact once, on first use, into the engine's own
representation, so one enterprise can be evaluated against hundreds of items without converting its
facts again:

* absent, ``None`` and empty text are unknown (null), never 0 (DATA-CONTRACT.md section 1);
* numbers (``int``, ``Decimal``, ``float`` via its shortest repr, or numeric text) become fixed
  integers (:mod:`huiqi.rules.numbers`); a number of 10^15 or more in size is unknown;
* ``tags`` is never unknown: absent or ``None`` is the empty set; text is split on ``;``;
* dates accept ``date`` or ISO text; booleans accept ``bool`` or ``"true"``/``"false"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from huiqi.rules import numbers
from huiqi.rules.errors import ProfileValueError
from huiqi.rules.fields import DEFAULT_REGISTRY, FieldRegistry, FieldSpec, FieldType

_MISSING = object()


class Profile:
    """Lazily normalised facts of one enterprise."""

    __slots__ = ("_cache", "facts", "registry")

    def __init__(self, facts: Mapping[str, Any], registry: FieldRegistry = DEFAULT_REGISTRY) -> None:
        self.facts = facts
        self.registry = registry
        self._cache: dict[str, Any] = {}

    def value(self, name: str) -> Any:
        """The normalised fact: fixed int, str, date, bool, frozenset of tags, or None if unknown."""
        cached = self._cache.get(name, _MISSING)
        if cached is not _MISSING:
            return cached
        spec = self.registry.get(name)
        if spec is None:
            raise ProfileValueError(name, "not a field of the registry")
        result = normalize_fact(spec, self.facts.get(name))
        self._cache[name] = result
        return result


def normalize_fact(spec: FieldSpec, raw: Any) -> Any:
    """One raw fact in the engine's representation (see the module docstring)."""
    kind = spec.type
    if kind is FieldType.TAGS:
        return _tags(spec, raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if kind in (FieldType.NUMBER, FieldType.INTEGER):
        return numbers.to_fixed(_decimal(spec, raw))
    if kind in (FieldType.STRING, FieldType.ENUM):
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ProfileValueError(spec.name, f"text expected, got {raw!r}")
        return str(raw)
    if kind is FieldType.DATE:
        return _date(spec, raw)
    return _bool(spec, raw)


def _decimal(spec: FieldSpec, raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ProfileValueError(spec.name, f"number expected, got {raw!r}")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        return Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise ProfileValueError(spec.name, f"finite number expected, got {raw!r}")
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            raise ProfileValueError(spec.name, f"number expected, got {raw!r}") from None
    else:
        raise ProfileValueError(spec.name, f"number expected, got {raw!r}")
    if not value.is_finite():
        raise ProfileValueError(spec.name, f"finite number expected, got {raw!r}")
    return value


def _date(spec: FieldSpec, raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ProfileValueError(spec.name, f"date YYYY-MM-DD expected, got {raw!r}")


def _bool(spec: FieldSpec, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise ProfileValueError(spec.name, f"true or false expected, got {raw!r}")


def _tags(spec: FieldSpec, raw: Any) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if isinstance(raw, str):
        return frozenset(part.strip() for part in raw.split(";") if part.strip())
    if isinstance(raw, Iterable):
        tags = set()
        for item in raw:
            if not isinstance(item, str):
                raise ProfileValueError(spec.name, f"tags must be text, got {item!r}")
            if item:
                tags.add(item)
        return frozenset(tags)
    raise ProfileValueError(spec.name, f"tags expected (a list or text separated by ';'), got {raw!r}")
