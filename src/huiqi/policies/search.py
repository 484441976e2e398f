"""Policy search (政策查询): what the page and the API call. See search_index.py for the index.

`search_policies` ranks documents and items by BM25 over jieba tokens (or, without a query, lists
them newest first), applies the filters of issue 4 (level, issuing department, region, theme,
currently effective, open for application) as numpy masks, and returns one page of hits, each with
its title and a snippet highlighted: the text is HTML-escaped piece by piece and only our own
<mark> elements are added, so a document's text can never inject markup into the page.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from huiqi.core.errors import ValidationFailedError
from huiqi.policies.enums import PolicyLevel
from huiqi.policies.search_index import (
    DOCUMENT,
    KIND_LABELS,
    MAX_QUERY_LENGTH,
    SNIPPET_CHARS,
    Entry,
    current_index,
    fold,
    query_words,
)
from huiqi.policies.selectors_library import require_signed_in


# ------------------------------------------------------------------------------------ highlight
@lru_cache(maxsize=512)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    return re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)))


def _marked(text: str, spans: Sequence[tuple[int, int]], start: int, end: int) -> str:
    pieces: list[str] = []
    cursor = start
    for span_start, span_end in spans:
        if span_start < cursor or span_end > end:
            continue
        pieces.append(escape(text[cursor:span_start]))
        pieces.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    pieces.append(escape(text[cursor:end]))
    return " ".join("".join(pieces).split())


def highlight(text: str, terms: Sequence[str]) -> SafeString:
    """The whole text, HTML-escaped, with <mark> around each match of a term."""
    pattern = _pattern(tuple(terms))
    spans = [match.span() for match in pattern.finditer(fold(text))] if pattern else []
    return mark_safe(_marked(text, spans, 0, len(text)))  # every piece is escaped


def snippet(
    text: str, terms: Sequence[str], *, width: int = SNIPPET_CHARS, folded: str | None = None
) -> SafeString:
    """About `width` characters of `text` around its densest cluster of distinct matched terms,
    HTML-escaped, with <mark> around the matches and "…" where text is cut. `folded` is
    search_index.fold(text) when the caller has it already."""
    if not text:
        return mark_safe("")
    pattern = _pattern(tuple(terms))
    matches = []
    if pattern is not None:
        for number, match in enumerate(pattern.finditer(folded if folded is not None else fold(text))):
            if number >= 400:
                break
            matches.append((match.start(), match.end(), match.group()))
    first = 0
    if matches:
        best: tuple[int, int, int] | None = None
        for position, (begin, _, _) in enumerate(matches):
            seen, count = set(), 0
            for _other_begin, other_end, word in matches[position:]:
                if other_end > begin + width * 4 // 5:
                    break
                seen.add(word)
                count += 1
            key = (len(seen), count, -begin)
            if best is None or key > best:
                best, first = key, begin
    start = max(0, first - width // 5) if matches else 0
    if matches:  # start at a sentence when one begins shortly before
        cut = max(text.rfind(boundary, max(0, start - 12), first) for boundary in "。；\n")
        if cut >= 0:
            start = cut + 1
    end = min(len(text), start + width)
    body = _marked(text, [(b, e) for b, e, _ in matches], start, end)
    return mark_safe(("…" if start > 0 else "") + body + ("…" if end < len(text) else ""))


# --------------------------------------------------------------------------------------- search
@dataclass(frozen=True)
class SearchHit:
    kind: str
    object_id: int
    code: str
    title: str
    title_html: SafeString
    snippet_html: SafeString
    score: float
    url: str
    level: str
    department: str
    region_code: str
    themes: tuple[str, ...]
    document_id: int
    document_title: str
    document_number: str
    document_url: str
    published_on: date | None
    starts_on: date | None
    ends_on: date | None
    opens_on: date | None
    closes_on: date | None
    auto_entitlement: bool
    is_effective: bool
    is_open: bool

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def level_label(self) -> str:
        return PolicyLevel(self.level).label if self.level in PolicyLevel.values else self.level


@dataclass(frozen=True)
class SearchResults:
    query: str
    terms: tuple[str, ...]
    hits: list[SearchHit]
    total: int
    offset: int
    limit: int
    as_of: date
    took_ms: float

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total


_URL_PLACEHOLDER = "999999999"


def document_url(document_id: int) -> str:
    return reverse("policies:document", args=[document_id])


def item_url(code: str, document_id: int) -> str:
    """An item's public place: its entry on its document's page (the editor's pages are for staff)."""
    return f"{document_url(document_id)}#item-{code}"


def _checked_filters(filters: dict[str, Any]) -> dict[str, Any]:
    level = filters.get("level") or ""
    if level and level not in PolicyLevel.values:
        raise ValidationFailedError(
            f"层级“{level}”无效，应为 {'、'.join(PolicyLevel.values)} 之一。", field="level"
        )
    kind = filters.get("kind") or ""
    if kind and kind not in KIND_LABELS:
        raise ValidationFailedError(f"类型“{kind}”无效，应为 document 或 item。", field="kind")
    region = (filters.get("region_code") or "").strip()
    if region and not (len(region) == 6 and region.isdigit()):
        raise ValidationFailedError(
            f"区划代码“{region}”无效，应为 6 位数字（GB/T 2260）。", field="region_code"
        )
    return {**filters, "region_code": region}


def search_policies(
    *,
    user: Any,
    query: str = "",
    level: str = "",
    department: str = "",
    region_code: str = "",
    theme: str = "",
    kind: str = "",
    effective_only: bool = False,
    open_only: bool = False,
    as_of: date | None = None,
    offset: int = 0,
    limit: int = 20,
) -> SearchResults:
    """Documents and items matching `query` (BM25, best first) and the filters; without a query,
    everything that passes the filters, newest first. Open to every signed-in user."""
    require_signed_in(user)
    started = time.perf_counter()
    query = (query or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationFailedError(
            f"搜索词不能超过 {MAX_QUERY_LENGTH} 个字（现有 {len(query)} 个）。", field="q"
        )
    filters = _checked_filters(
        {"level": level, "department": department, "region_code": region_code, "theme": theme, "kind": kind}
    )
    today = timezone.localdate()
    as_of = as_of or today
    index = current_index(today=today)
    words = query_words(query)
    terms = tuple(dict.fromkeys(part for word in words for part in word))
    mask = index.mask(as_of=as_of, effective_only=effective_only, open_only=open_only, **filters)
    scores = np.zeros(len(index.entries), dtype=np.float32)
    if terms:
        ids = index.term_ids(terms)
        if ids and index.bm25 is not None:
            scores = index.bm25.get_scores(ids)
        mask &= index.coverage_mask(words)
    rows = np.flatnonzero(mask)
    total = int(rows.size)
    wanted = min(total, max(0, offset) + max(0, limit))
    if terms:
        # best score first; equal scores in browsing order
        order = np.lexsort((index.arrays["browse_rank"][rows], -scores[rows]))
    else:
        order = np.argsort(index.arrays["browse_rank"][rows], kind="stable")
    page = rows[order[:wanted]][max(0, offset) :]
    effective = index.effective_mask(as_of)
    open_now = index.open_mask(as_of)
    url_pattern = document_url(int(_URL_PLACEHOLDER))  # one reverse() per query, not per hit
    hits = [
        _hit(
            index.entries[row],
            float(scores[row]),
            terms,
            bool(effective[row]),
            bool(open_now[row]),
            url_pattern,
        )
        for row in page
    ]
    took = (time.perf_counter() - started) * 1000
    return SearchResults(query, terms, hits, total, max(0, offset), limit, as_of, took)


def _hit(
    entry: Entry, score: float, terms: Sequence[str], is_effective: bool, is_open: bool, url_pattern: str
) -> SearchHit:
    doc_url = url_pattern.replace(_URL_PLACEHOLDER, str(entry.document_id))
    return SearchHit(
        kind=entry.kind,
        object_id=entry.object_id,
        code=entry.code,
        title=entry.title,
        title_html=highlight(entry.title, terms),
        snippet_html=snippet(entry.shown_text, terms, folded=entry.folded_text),
        score=round(score, 4),
        url=doc_url if entry.kind == DOCUMENT else f"{doc_url}#item-{entry.code}",
        level=entry.level,
        department=entry.department,
        region_code=entry.region_code,
        themes=entry.themes,
        document_id=entry.document_id,
        document_title=entry.document_title,
        document_number=entry.document_number,
        document_url=doc_url,
        published_on=entry.published_on,
        starts_on=entry.starts_on,
        ends_on=entry.ends_on,
        opens_on=entry.opens_on,
        closes_on=entry.closes_on,
        auto_entitlement=entry.auto_entitlement,
        is_effective=is_effective,
        is_open=is_open,
    )


@dataclass(frozen=True)
class SearchFacets:
    """The values the filters offer, with how many documents and items carry each."""

    levels: list[tuple[str, str]]
    departments: list[tuple[str, int]]
    regions: list[tuple[str, int]]
    themes: list[tuple[str, int]]


def search_facets(*, user: Any) -> SearchFacets:
    require_signed_in(user)
    index = current_index()

    def counted(values: Iterable[str]) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for value in values:
            if value:
                counts[value] = counts.get(value, 0) + 1
        return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))

    return SearchFacets(
        levels=list(PolicyLevel.choices),
        departments=counted(entry.department for entry in index.entries),
        regions=sorted(counted(entry.region_code for entry in index.entries)),
        themes=counted(theme for entry in index.entries for theme in entry.themes),
    )
