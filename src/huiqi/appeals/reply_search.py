"""Search of past replies while a caller waits (热线知识检索): the agent types a few words and sees how
similar appeals were answered, so that a consultation can be answered at once (直接答复).

Why this shape (the issue asks for it to be fast; it is silent on how):
- The corpus is the most recent HUIQI_REPLY_SEARCH_CORPUS (default 5,000) replies that reached the
  enterprise (approved by a dispatcher, or given directly at intake), each with its appeal's title and
  content. Older answers are less likely to still hold (policies change every year), and a bounded
  corpus keeps every query in milliseconds whatever the size of the history.
- No index of document tokens: segmenting 5,000 texts with jieba takes seconds cold, too long for a
  caller on the line. The QUERY is segmented with jieba (accurate mode; a long word also brings its
  search-mode parts, so 用电增容 finds 用电 and 增容), and each word is found in the corpus texts by
  plain substring search over one joined string per field; a numpy `searchsorted` maps each hit to
  its document. Scores are BM25 (k1 1.2, b 0.75) with the length measured in characters, the title
  counting twice, times the share of the query's words a document contains, so a reply matching every
  word comes before one matching a single common word.
- The corpus is cached per process and re-read when a reply has been approved or given directly since
  (indexed look-ups per query: the ticket history's `ticket_event_action_at_idx`, the newest reply) or after
  HUIQI_REPLY_SEARCH_MAX_AGE seconds (default 300), whichever comes first.
- Who sees what: the same scope as the tickets (selectors.appeals_visible_to), checked on the hits;
  enterprise users do not search other enterprises' replies.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
import numpy as np
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from huiqi.accounts import selectors as account_selectors
from huiqi.accounts.enums import Role
from huiqi.appeals import selectors
from huiqi.appeals.enums import Kind, ReplyStatus, TicketAction
from huiqi.appeals.models import Reply, TicketEvent
from huiqi.core.errors import PermissionDeniedError

MAX_QUERY_LENGTH = 100
SNIPPET_CHARS = 120
TITLE_WEIGHT = 2.0
K1, B = 1.2, 0.75
FREQUENCY_CACHE_SIZE = 512  # (field, term) arrays kept per corpus: 512 x 2 x 20 kB at 5,000 replies
ANSWERED = (ReplyStatus.APPROVED, ReplyStatus.DIRECT)
STOPWORDS = frozenset(
    ("的", "了", "和", "与", "及", "等", "对", "在", "为", "是", "或", "其", "按", "由", "将", "于", "以",
     "并", "之", "把", "被", "也", "而", "所", "从", "向", "就", "都", "该", "各", "吗", "呢", "啊", "吧",
     "我", "我们", "你", "您", "请问", "怎么", "怎么办", "什么", "如何", "哪里", "一下", "有", "没有")
)  # fmt: skip
#: Words of the enterprise line that jieba's dictionary splits; kept whole (their parts still match).
DOMAIN_WORDS = ("专精特新", "高新技术企业", "用电增容", "稳岗补贴", "研发费用", "加计扣除", "留抵退税")
_WORD = re.compile(r"\w")
_SEPARATOR = "\x00"
# Full-width ASCII and the ideographic space to ASCII, upper to lower case: same length, so positions
# found in folded text are positions in the original (highlighting).
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FOLD |= {ord(c): ord(c.lower()) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_FOLD |= {code: ord(chr(code - 0xFEE0).lower()) for code in range(0xFF21, 0xFF3B)}

logger = logging.getLogger(__name__)


def corpus_size() -> int:
    return int(getattr(settings, "HUIQI_REPLY_SEARCH_CORPUS", 5000))


def max_age_seconds() -> float:
    return float(getattr(settings, "HUIQI_REPLY_SEARCH_MAX_AGE", 300))


def fold(text: str) -> str:
    return text.translate(_FOLD)


# --- the query's words ---------------------------------------------------------------------------------
_tokenizer_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def _jieba() -> jieba.Tokenizer:
    """Our own jieba tokenizer (jieba's global one is shared with other code), built once, quietly."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                directory = Path(settings.VAR_DIR) / "cache" / "jieba"
                try:
                    directory.mkdir(parents=True, exist_ok=True)
                    tokenizer.tmp_dir = str(directory)
                except OSError:
                    tokenizer.tmp_dir = tempfile.gettempdir()
                tokenizer.initialize()
                for word in DOMAIN_WORDS:
                    tokenizer.add_word(word)
                _tokenizer = tokenizer
    return _tokenizer


def _kept(token: str) -> bool:
    return bool(_WORD.search(token)) and token not in STOPWORDS and not token.isspace()


def query_words(query: str) -> list[tuple[str, ...]]:
    """The query's words, each with its search-mode parts (word first): 用电增容 -> (用电增容, 用电, 增容).

    A single character is dropped when longer words remain (它 matches too much to say anything)."""
    tokenizer = _jieba()
    words: dict[str, tuple[str, ...]] = {}
    for raw in tokenizer.cut(fold(query.strip())[:MAX_QUERY_LENGTH], HMM=True):
        word = raw.strip()
        if not word or not _kept(word) or word in words:
            continue
        parts = [
            p for p in tokenizer.cut_for_search(word, HMM=False) if _kept(p) and p != word and len(p) > 1
        ]
        words[word] = (word, *dict.fromkeys(parts))
    if any(len(word) > 1 for word in words):
        words = {word: parts for word, parts in words.items() if len(word) > 1}
    return list(words.values())


# --- the corpus ----------------------------------------------------------------------------------------


@dataclass
class _Corpus:
    reply_ids: list[int]
    appeal_ids: list[int]
    rows: Sequence[Mapping[str, Any]]
    titles: str  # every document's folded title, joined by _SEPARATOR
    bodies: str  # folded content + reply
    title_starts: np.ndarray
    body_starts: np.ndarray
    title_lengths: np.ndarray
    body_lengths: np.ndarray
    stamp: tuple[Any, ...]
    built_at: float
    #: (field, term) -> frequencies per document: callers ask for the same words again and again.
    frequencies: dict[tuple[str, str], np.ndarray] = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.reply_ids)

    def term_frequencies(self, field: str, term: str) -> np.ndarray:
        key = (field, term)
        found = self.frequencies.get(key)
        if found is None:
            text, starts = (
                (self.titles, self.title_starts) if field == "title" else (self.bodies, self.body_starts)
            )
            found = _term_frequencies(text, starts, term, len(self))
            if len(self.frequencies) >= FREQUENCY_CACHE_SIZE:
                self.frequencies.pop(next(iter(self.frequencies)))  # the oldest entry
            self.frequencies[key] = found
        return found


_corpus_lock = threading.Lock()
_corpus: _Corpus | None = None


def _stamp() -> tuple[Any, ...]:
    """Changes whenever a reply is approved or given directly (the ticket history is append-only), or a
    reply row is added (rows written without history, e.g. imported). Primary-key and indexed reads only."""
    events = tuple(
        TicketEvent.objects.filter(action=action).order_by("-at", "-id").values_list("id", flat=True).first()
        for action in (TicketAction.APPROVE_REPLY, TicketAction.DIRECT_REPLY)
    )
    return (*events, Reply.objects.order_by("-id").values_list("id", flat=True).first())


def _body(row: Mapping[str, Any]) -> str:
    return f"{row['ticket__appeal__content']}\n{row['text']}"


def _starts_and_lengths(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    if len(texts) > 1:
        starts[1:] = np.cumsum(lengths[:-1] + len(_SEPARATOR))
    return starts, lengths


def _build(stamp: tuple[Any, ...]) -> _Corpus:
    rows = list(
        Reply.objects.filter(status__in=ANSWERED)
        .order_by("-id")
        .values(
            "id",
            "text",
            "status",
            "submitted_at",
            "reviewed_at",
            "ticket_id",
            "ticket__appeal_id",
            "ticket__appeal__number",
            "ticket__appeal__title",
            "ticket__appeal__content",
            "ticket__appeal__kind",
            "ticket__appeal__category__name",
        )[: corpus_size()]
    )
    titles = [fold(row["ticket__appeal__title"]).replace(_SEPARATOR, " ") for row in rows]
    bodies = [fold(_body(row)).replace(_SEPARATOR, " ") for row in rows]
    title_starts, title_lengths = _starts_and_lengths(titles)
    body_starts, body_lengths = _starts_and_lengths(bodies)
    return _Corpus(
        reply_ids=[row["id"] for row in rows],
        appeal_ids=[row["ticket__appeal_id"] for row in rows],
        rows=rows,
        titles=_SEPARATOR.join(titles),
        bodies=_SEPARATOR.join(bodies),
        title_starts=title_starts,
        body_starts=body_starts,
        title_lengths=title_lengths,
        body_lengths=body_lengths,
        stamp=stamp,
        built_at=time.monotonic(),
    )


def _current_corpus() -> _Corpus:
    global _corpus
    stamp = _stamp()
    corpus = _corpus
    if (
        corpus is not None
        and corpus.stamp == stamp
        and time.monotonic() - corpus.built_at < max_age_seconds()
    ):
        return corpus
    with _corpus_lock:
        if (
            _corpus is None
            or _corpus.stamp != stamp
            or time.monotonic() - _corpus.built_at >= max_age_seconds()
        ):
            _corpus = _build(stamp)
        return _corpus


def forget_corpus() -> None:
    """Drops the cached corpus (tests; the stamp makes it unnecessary in normal use)."""
    global _corpus
    with _corpus_lock:
        _corpus = None


# --- scoring -------------------------------------------------------------------------------------------


def _term_frequencies(text: str, starts: np.ndarray, term: str, n: int) -> np.ndarray:
    """How often `term` occurs in each document of a joined field."""
    positions = []
    find = text.find
    at = find(term)
    while at != -1:
        positions.append(at)
        at = find(term, at + len(term))
    if not positions:
        return np.zeros(n, dtype=np.float32)
    documents = np.searchsorted(starts, np.asarray(positions, dtype=np.int64), side="right") - 1
    return np.bincount(documents, minlength=n).astype(np.float32)


def _bm25(tf: np.ndarray, lengths: np.ndarray, idf: float) -> np.ndarray:
    average = float(lengths.mean()) or 1.0
    return idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths / average))


def _scores(corpus: _Corpus, words: list[tuple[str, ...]]) -> np.ndarray:
    n = len(corpus)
    total = np.zeros(n, dtype=np.float64)
    covered = np.zeros(n, dtype=np.float64)
    for parts in words:
        word_score = np.zeros(n, dtype=np.float64)
        for index, term in enumerate(parts):
            title_tf = corpus.term_frequencies("title", term)
            body_tf = corpus.term_frequencies("body", term)
            df = int(np.count_nonzero(title_tf + body_tf))
            if df == 0:
                continue
            idf = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
            score = TITLE_WEIGHT * _bm25(title_tf, corpus.title_lengths, idf) + _bm25(
                body_tf, corpus.body_lengths, idf
            )
            # The whole word counts fully; its parts (found without it) count half.
            word_score = np.maximum(word_score, score if index == 0 else score / 2)
        total += word_score
        covered += word_score > 0
    return total * (covered / max(len(words), 1))


# --- highlighting --------------------------------------------------------------------------------------


def _spans(folded: str, terms: list[str]) -> list[tuple[int, int]]:
    if not terms:
        return []
    pattern = re.compile("|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)))
    return [m.span() for m in pattern.finditer(folded)]


def highlight(text: str, terms: list[str], *, width: int | None = None) -> SafeString:
    """`text` HTML-escaped with <mark> around the terms; cut to about `width` characters around the first
    match when given ("…" where cut). Only our own <mark> elements are added to escaped pieces."""
    spans = _spans(fold(text), terms)
    start, end = 0, len(text)
    if width is not None and len(text) > width:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - width // 4, len(text) - width))
        end = start + width
    pieces = ["…" if start > 0 else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_start < cursor or span_end > end:
            continue
        pieces.append(escape(text[cursor:span_start]))
        pieces.append(f'<mark class="px-0">{escape(text[span_start:span_end])}</mark>')
        cursor = span_end
    pieces.append(escape(text[cursor:end]))
    if end < len(text):
        pieces.append("…")
    return mark_safe("".join(pieces))  # every piece of the text is escaped above


# --- the selector --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PastReply:
    reply_id: int
    ticket_id: int
    appeal_number: str
    title: SafeString  # highlighted
    snippet: SafeString  # the reply, highlighted, around the first match
    text: str  # the whole reply, plain (the agent may quote it)
    category: str
    kind: str  # its label (咨询, 求助 ...)
    is_direct: bool
    replied_at: dt.datetime | None
    score: float


def search_past_replies(*, user: Any, q: str, limit: int = 8) -> list[PastReply]:
    """The past replies that best match `q`, best first (module docstring), among the appeals `user`
    may see. An empty query finds nothing. Enterprise users may not search (PermissionDeniedError)."""
    if getattr(user, "role", None) == Role.ENTERPRISE:
        raise PermissionDeniedError("企业用户不能检索其他企业的诉求答复。")
    visible = selectors.appeals_visible_to(user=user)  # raises for users who see no tickets
    words = query_words(q or "")
    if not words or limit <= 0:
        return []
    started = time.perf_counter()
    corpus = _current_corpus()
    if not len(corpus):
        return []
    scores = _scores(corpus, words)
    candidates = np.flatnonzero(scores > 0)
    if not len(candidates):
        return []
    # Best first; ties by the newer reply (the corpus is newest first, so the lower index).
    order = candidates[np.lexsort((candidates, -scores[candidates]))][: limit * 5]
    if account_selectors.work_department_ids_for(user) is None:  # city-wide roles see every appeal
        allowed = {corpus.appeal_ids[i] for i in order}
    else:
        allowed = set(
            visible.filter(pk__in=[corpus.appeal_ids[i] for i in order]).values_list("pk", flat=True)
        )
    terms = [term for parts in words for term in parts]
    found: list[PastReply] = []
    for index in order:
        row = corpus.rows[index]
        if row["ticket__appeal_id"] not in allowed:
            continue
        found.append(
            PastReply(
                reply_id=row["id"],
                ticket_id=row["ticket_id"],
                appeal_number=row["ticket__appeal__number"],
                title=highlight(row["ticket__appeal__title"], terms),
                snippet=highlight(row["text"], terms, width=SNIPPET_CHARS),
                text=row["text"],
                category=row["ticket__appeal__category__name"] or "",
                kind=Kind(row["ticket__appeal__kind"]).label,
                is_direct=row["status"] == ReplyStatus.DIRECT,
                replied_at=row["reviewed_at"] or row["submitted_at"],
                score=float(scores[index]),
            )
        )
        if len(found) >= limit:
            break
    logger.debug("reply search %r: %d hits in %.1f ms", q, len(found), (time.perf_counter() - started) * 1e3)
    return found
