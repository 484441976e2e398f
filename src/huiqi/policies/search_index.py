"""The index behind policy search (search.py): documents and items, in Chinese.

Why an index in memory: a city's library is a few thousand documents (德阳 3,374, 济南 2,488), a few
tens of megabytes of text. Segmented with jieba and ranked with BM25 (bm25s) in the process, a query
costs well under a millisecond of scoring, filters are numpy masks over arrays built once, and the
same code runs on SQLite and PostgreSQL (whose own full-text search has no Chinese segmentation
without a server extension). benchmarks/policy_search.py measures it over 5,000 documents.

Decisions (issue 4 is silent on them):
- Segmentation: jieba's search mode for documents and queries alike, so a query word also finds the
  longer words that contain it (研发 finds 研发费用), with the library's own words added to the
  dictionary (专精特新, 研发费用, 高新技术企业, ...). Text is folded (full-width ASCII to ASCII, lower
  case) without changing its length, so matches found in the folded text highlight the original.
- What is searched: documents (title, 文号, issuing department, themes, full text) and items (code,
  title, their document's title, eligibility and reward in words, by the rules engine's explanation
  helpers). BM25 has one field, so a title counts three times. An item is searched in the version in
  force today, else its newest published version (so an expired or future item is still found; the
  "effective" filter leaves it out); drafts, versions in review and retired versions never are.
- Filters (masks over arrays built here): level; issuing department (exact); region (GB/T 2260
  prefix: a city includes its districts); theme; currently effective (today within
  valid_from..valid_to of a document, effective_from..effective_to of an item; a missing bound is
  open); open for application (an item in force, not 免申即享 (nothing to apply for), today within
  its application window, a missing bound open; a document when one of its items is).
- Matching: a hit must contain every word of a query of up to three words (jieba's accurate mode;
  a word unknown to the index counts through its parts); longer queries may miss one word in four,
  so a question typed in full still finds. Ranking is BM25 over all the search-mode tokens.
- Index lifecycle: built lazily, once per process, on the first search. Every search first reads a
  stamp (corpus_stamp: one statement of five indexed subqueries over documents, versions and the
  workflow history, plus today's date); when it differs, the corpus is read again and the index
  rebuilt if any indexed text changed. So a publish, a retirement or an edited document is seen by
  the next search in every process.
- Persistence: the tokens, not the index. jieba segments 50,000-300,000 characters a second here,
  so 5,000 documents take minutes cold; tokens are cached by the hash of the text they come from,
  in memory and in `POLICY_SEARCH_CACHE_DIR` (default var/cache/policy_search: JSON and .npy, which
  run no code when read), and a process builds its index from them in a second or two. BM25
  weights depend on the whole corpus, so the matrix is rebuilt (vectorised, below), not stored.
- Warming: so that no search pays the cold segmentation, `warm_token_cache` fills the cache ahead
  of it: `huiqi warm_policy_search` (after a deploy), the end of `huiqi load_demo`, and a background
  task after each publication (services.schedule_search_warming). A process whose store lacks a
  text looks in the files again when another process has written them since (TokenStore).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import bm25s
import jieba
import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone

from huiqi.enterprises.selectors import region_prefix
from huiqi.policies.errors import PolicySearchCacheUnwritableError
from huiqi.policies.models import PolicyDocument, PolicyItemVersion, VersionTransition
from huiqi.policies.selectors_library import public_versions
from huiqi.policies.workflow import VersionStatus
from huiqi.rules import explain
from huiqi.rules.errors import RuleValidationError
from huiqi.rules.fields import DEFAULT_REGISTRY
from huiqi.rules.schema import AllOf, AnyOf, Condition, FixedAmount, Leaf, NotOf, Reward

logger = logging.getLogger(__name__)
# bm25s sets its own logger to DEBUG and says "Building index from IDs objects" on every build.
logging.getLogger("bm25s").setLevel(logging.WARNING)

DOCUMENT = "document"
ITEM = "item"
KIND_LABELS = {DOCUMENT: "政策文件", ITEM: "奖补项目"}
MAX_QUERY_LENGTH = 100
SNIPPET_CHARS = 110
TITLE_WEIGHT = 3
SAVE_EVERY_SECONDS = 10.0
#: Words of the policy library that jieba's dictionary lacks or splits; kept whole (search mode
#: still adds their parts). Changing the list changes TOKENIZER_KEY, which invalidates cached tokens.
DOMAIN_WORDS = (
    "专精特新", "小巨人", "单项冠军", "瞪羚企业", "独角兽企业", "高新技术企业", "科技型中小企业",
    "研发费用", "研发投入", "加计扣除", "后补助", "免申即享", "首台套", "首批次", "贷款贴息", "稳岗补贴",
    "房租补贴", "租金补贴", "数字经济", "智能制造", "技术改造", "工业互联网", "上云用云", "总部企业",
    "规上企业", "规模以上", "揭榜挂帅", "孵化器", "众创空间", "纳税信用", "以工代训", "一次性奖励",
    "营业收入", "主营业务收入", "知识产权", "发明专利", "人才引进", "创业担保贷款", "产业链",
)  # fmt: skip
TOKENIZER_KEY = hashlib.sha1(("jieba-search-v1|" + "|".join(DOMAIN_WORDS)).encode()).hexdigest()[:12]
STOPWORDS = frozenset(
    ("的", "了", "和", "与", "及", "等", "对", "在", "为", "是", "或", "其", "按", "由", "将", "于", "以",
     "并", "之", "把", "被", "也", "而", "所", "从", "向", "就", "都", "该", "各", "上", "下", "中")
)  # fmt: skip
_WORD = re.compile(r"\w")
# Length-preserving folding: full-width ASCII (U+FF01-FF5E) and the ideographic space to ASCII, A-Z
# to a-z. Positions in the folded text are positions in the original, for highlighting.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FOLD |= {ord(c): ord(c.lower()) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_FOLD |= {code: ord(chr(code - 0xFEE0).lower()) for code in range(0xFF21, 0xFF3B)}
_FAR_PAST = 0
_FAR_FUTURE = date.max.toordinal()


def fold(text: str) -> str:
    return text.translate(_FOLD)


# --------------------------------------------------------------------------------- tokenizer
_tokenizer_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def _cache_dir() -> Path | None:
    configured = getattr(settings, "POLICY_SEARCH_CACHE_DIR", "unset")
    if configured == "unset":
        return Path(settings.VAR_DIR) / "cache" / "policy_search"
    return Path(configured) if configured else None


def _jieba() -> jieba.Tokenizer:
    """Our own jieba tokenizer, initialised once and quietly; its dictionary cache goes under var/."""
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _tokenizer_lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            directory = _cache_dir() or Path(tempfile.gettempdir())
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


def tokenize(text: str) -> list[str]:
    """The search tokens of a text: jieba search mode over the folded text, without punctuation and
    stop words."""
    return [token for token in _jieba().cut_for_search(fold(text), HMM=True) if _kept(token)]


def _kept(token: str) -> bool:
    return bool(_WORD.search(token)) and token not in STOPWORDS and not token.isspace()


def query_words(query: str) -> list[tuple[str, ...]]:
    """The words of a query (jieba's accurate mode), each with its search-mode parts, word last:
    "研发费用补助" -> [("研发", "费用", "研发费用"), ("补助",)]."""
    tokenizer = _jieba()
    words: dict[str, tuple[str, ...]] = {}
    for word in tokenizer.cut(fold(query), HMM=True):
        word = word.strip()
        if word and _kept(word) and word not in words:
            parts = [part for part in tokenizer.cut_for_search(word, HMM=False) if _kept(part)]
            words[word] = (*dict.fromkeys(part for part in parts if part != word), word)
    return list(words.values())


def query_terms(query: str) -> list[str]:
    """The distinct search tokens of a query, in order (what is scored and highlighted)."""
    return list(dict.fromkeys(part for word in query_words(query) for part in word))


# ------------------------------------------------------------------------------------ entries
_GROUPS = {AllOf: "同时满足", AnyOf: "满足其一"}


def _condition_words(node: Condition, lines: list[str]) -> None:
    if isinstance(node, Leaf):
        spec = DEFAULT_REGISTRY.get(node.field)
        lines.append(explain.requirement(spec, node.op, node.value, negated=False) if spec else node.field)
    elif isinstance(node, NotOf):
        inner: list[str] = []
        _condition_words(node.child, inner)
        lines.append("不满足：" + "，".join(inner))
    else:
        inner = []
        for child in node.children:
            _condition_words(child, inner)
        lines.append(
            "（满足其一：" + "，或".join(inner) + "）" if isinstance(node, AnyOf) else "；".join(inner)
        )


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _amount_words(amount: Any) -> str:
    if isinstance(amount, FixedAmount):
        return f"{amount.amount:,.2f}".rstrip("0").rstrip(".") + " 元"
    source = amount.formula.source

    def label(match: re.Match[str]) -> str:
        spec = DEFAULT_REGISTRY.get(match.group(0))
        return spec.label if spec is not None else match.group(0)

    return "按 " + _NAME.sub(label, source).replace("*", "×").replace("/", "÷") + " 计算"


def _reward_words(reward: Reward | None) -> str:
    if reward is None:
        return ""
    if reward.tiers:
        parts = []
        for tier in reward.tiers:
            when: list[str] = []
            _condition_words(tier.when, when)
            parts.append(f"{'；'.join(when)}的，{_amount_words(tier.amount)}")
        text = "；".join(parts)
    else:
        text = _amount_words(reward.amount)
    if reward.cap is not None:
        text += f"，最高不超过 {reward.cap:,.2f}".rstrip("0").rstrip(".") + " 元"
    return "奖励：" + text


def describe_rules(version: PolicyItemVersion) -> str:
    """An item version's eligibility and reward in Chinese words (what search reads and shows)."""
    from huiqi.policies.matching import rules_of

    try:
        rules = rules_of(version)
    except RuleValidationError:
        return ""
    lines: list[str] = []
    _condition_words(rules.eligibility, lines)
    reward = _reward_words(rules.reward)
    return "申报条件：" + "；".join(lines) + "。" + (reward + "。" if reward else "")


@dataclass(frozen=True)
class Entry:
    """One searchable thing: a document, or an item in one of its versions."""

    kind: str
    object_id: int
    code: str
    title: str
    body: str
    extra: str
    level: str
    department: str
    region_code: str
    themes: tuple[str, ...]
    document_id: int
    document_title: str
    document_number: str
    published_on: date | None
    starts_on: date | None
    ends_on: date | None
    opens_on: date | None = None
    closes_on: date | None = None
    auto_entitlement: bool = False
    version_number: int | None = None

    def indexed_text(self) -> str:
        return "\n".join([*([self.title] * TITLE_WEIGHT), self.extra, self.body])

    @cached_property
    def text_hash(self) -> str:
        digest = hashlib.sha1(f"{TOKENIZER_KEY}\n{self.indexed_text()}".encode())
        return digest.hexdigest()

    @cached_property
    def shown_text(self) -> str:
        """What a snippet is cut from: the body, or for an empty body the 文号, department, themes."""
        return self.body or self.extra

    @cached_property
    def folded_text(self) -> str:
        """`shown_text` folded, for finding matches (kept once per entry: most texts fold to themselves)."""
        folded = fold(self.shown_text)
        return self.shown_text if folded == self.shown_text else folded


def _document_entries() -> list[Entry]:
    rows = PolicyDocument.objects.order_by("id").values_list(
        "id", "title", "document_number", "issuing_department", "level", "region_code",
        "published_on", "valid_from", "valid_to", "full_text", "themes",
    )  # fmt: skip
    entries = []
    for pk, title, number, department, level, region, published, start, end, text, themes in rows:
        themes = tuple(str(theme) for theme in themes or ())
        extra = " ".join([number, department, *themes])
        entries.append(
            Entry(DOCUMENT, pk, number, title, text or "", extra, level, department, region, themes,
                  pk, title, number, published, start, end)
        )  # fmt: skip
    return entries


def _item_entry(version: PolicyItemVersion, document_themes: dict[int, tuple[str, ...]]) -> Entry:
    document = version.document
    return Entry(
        kind=ITEM,
        object_id=version.item_id,
        code=version.item.code,
        title=version.title,
        body=describe_rules(version),
        extra=" ".join([version.item.code, document.title, document.issuing_department]),
        level=document.level,
        department=document.issuing_department,
        region_code=document.region_code,
        themes=document_themes.get(document.pk, ()),
        document_id=document.pk,
        document_title=document.title,
        document_number=document.document_number,
        published_on=document.published_on,
        starts_on=version.effective_from,
        ends_on=version.effective_to,
        opens_on=version.application_opens_on,
        closes_on=version.application_closes_on,
        auto_entitlement=version.auto_entitlement,
        version_number=version.number,
    )


def load_entries(*, today: date) -> list[Entry]:
    """Every searchable document and item, as of `today` (which item version is searched)."""
    documents = _document_entries()
    themes = {entry.object_id: entry.themes for entry in documents}
    return documents + [_item_entry(version, themes) for version in public_versions(as_of=today)]


def corpus_stamp(*, today: date) -> tuple[Any, ...]:
    """What changes whenever the searchable corpus may have changed: one query of five subqueries,
    each answered from an index (documents: count, largest id, last updated_at; versions: how many
    are published or retired; the workflow history: its largest id, since every step of workflow.py
    appends a row). Plus the date, which decides the version of an item that is searched."""
    quote = connection.ops.quote_name
    documents = quote(PolicyDocument._meta.db_table)
    versions = quote(PolicyItemVersion._meta.db_table)
    history = quote(VersionTransition._meta.db_table)
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {documents}), (SELECT MAX({quote('id')}) FROM {documents}), "
        f"(SELECT MAX({quote('updated_at')}) FROM {documents}), "
        f"(SELECT COUNT(*) FROM {versions} WHERE {quote('status')} IN (%s, %s)), "
        f"(SELECT MAX({quote('id')}) FROM {history})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [VersionStatus.PUBLISHED.value, VersionStatus.RETIRED.value])
        row = cursor.fetchone()
    return (today, *row)


# ---------------------------------------------------------------------------------- token store
class TokenStore:
    """Token ids by text hash, in memory and on disk.

    One vocabulary per process that only grows, so an entry's ids stay valid across rebuilds and an
    unchanged text is never segmented or mapped again. On disk, two files replaced atomically: a JSON
    file (the words, the text hashes and where each text's ids start) and a .npy file of every id
    (int32), so a new process maps its stored tokens with one array lookup, not one per token.
    Neither format can run code when read (np.load without pickles).

    Several processes share the files (web workers, the background worker warming them after a
    publication, `huiqi warm_policy_search`): each writes every current text it holds, and a store
    that lacks a text looks in the files again when they have changed since it last read or wrote
    them, so what another process segmented is not segmented twice.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.vocab: dict[str, int] = {}
        self.words: list[str] = []
        self.ids: dict[str, np.ndarray] = {}
        #: (mtime_ns, size) of the JSON file when this store last read or wrote it.
        self._file_seen: tuple[int, int] | None = None
        #: Why the last write failed ("" when it did not), for `warm_token_cache` to report.
        self.save_error = ""

    @property
    def _paths(self) -> tuple[Path, Path] | None:
        if self.directory is None:
            return None
        stem = self.directory / f"tokens-{TOKENIZER_KEY}"
        return stem.with_suffix(".json"), stem.with_suffix(".npy")

    def file_stamp(self) -> tuple[int, int] | None:
        """(mtime_ns, size) of the JSON file (written after the .npy file), None when there is none."""
        paths = self._paths
        if paths is None:
            return None
        try:
            status = paths[0].stat()
        except OSError:
            return None
        return status.st_mtime_ns, status.st_size

    def _word_ids(self, words: Iterable[str]) -> np.ndarray:
        vocab, known = self.vocab, self.words
        ids = []
        for word in words:
            word_id = vocab.get(word)
            if word_id is None:
                word_id = vocab[word] = len(known)
                known.append(word)
            ids.append(word_id)
        return np.array(ids, dtype=np.int32)

    def _read_file(self, wanted: set[str]) -> None:
        """Take the ids of the wanted texts from the files, translated into this process's ids."""
        paths = self._paths
        if paths is None or not paths[0].exists() or not paths[1].exists():
            return
        try:
            meta = json.loads(paths[0].read_text(encoding="utf-8"))
            flat = np.load(paths[1], allow_pickle=False)
            words, hashes, offsets = meta["words"], meta["hashes"], meta["offsets"]
            if len(offsets) != len(hashes) + 1 or offsets[-1] != len(flat):
                raise ValueError("inconsistent token cache")
            translate = self._word_ids(words)
        except (OSError, ValueError, KeyError, TypeError):
            logger.warning("policy search: token cache in %s unreadable, rebuilding it", self.directory)
            return
        for position, key in enumerate(hashes):
            if key in wanted and key not in self.ids:
                self.ids[key] = translate[flat[offsets[position] : offsets[position + 1]]]

    def ids_for(self, entries: Sequence[Entry]) -> tuple[list[np.ndarray], list[int]]:
        """Each entry's token ids, and the positions of the entries that had to be segmented now."""
        keys = [entry.text_hash for entry in entries]
        missing = {key for key in keys if key not in self.ids}
        stamp = self.file_stamp() if missing else None
        if stamp is not None and stamp != self._file_seen:
            self._read_file(missing)
            self._file_seen = stamp
        result: list[np.ndarray] = []
        fresh: list[int] = []
        saved_at = time.monotonic()
        for position, (entry, key) in enumerate(zip(entries, keys, strict=True)):
            ids = self.ids.get(key)
            if ids is None:
                ids = self.ids[key] = self._word_ids(tokenize(entry.indexed_text()))
                fresh.append(position)
                if time.monotonic() - saved_at > SAVE_EVERY_SECONDS:
                    # A cold build of a large library takes longer than a web worker may run: what is
                    # segmented so far survives a worker killed by its timeout.
                    self._save()
                    saved_at = time.monotonic()
            result.append(ids)
        wanted = set(keys)
        self.ids = {key: value for key, value in self.ids.items() if key in wanted}
        if fresh:
            self._save()
        return result, fresh

    def _save(self) -> None:
        paths = self._paths
        if paths is None:
            return
        hashes = list(self.ids)
        arrays = [self.ids[key] for key in hashes]
        offsets = np.concatenate([[0], np.cumsum([len(ids) for ids in arrays], dtype=np.int64)]).tolist()
        meta = {"words": self.words, "hashes": hashes, "offsets": offsets}
        flat = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int32)
        try:
            paths[0].parent.mkdir(parents=True, exist_ok=True)
            for path, write in (
                (paths[1], lambda file: np.save(file, flat, allow_pickle=False)),
                (paths[0], lambda file: file.write(json.dumps(meta, ensure_ascii=False).encode())),
            ):
                handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
                with os.fdopen(handle, "wb") as file:
                    write(file)
                os.replace(temporary, path)
        except OSError as error:
            self.save_error = str(error)
            logger.warning("policy search: could not write the token cache in %s", self.directory)
            return
        self.save_error = ""
        self._file_seen = self.file_stamp()


# ---------------------------------------------------------------------------------------- BM25
class VectorBM25(bm25s.BM25):
    """bm25s's BM25 (Lucene variant) whose index is built with numpy and scipy in one pass.

    bm25s builds its matrix with a Python loop and a Counter per document (about 4 s for 5 million
    tokens here); `build_index_from_ids` is its documented hook for building another way. Same
    weights (idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf / (k1 (1 - b + b dl / avgdl) + tf)),
    same matrix layout, so scoring is bm25s's own; tests check the scores against stock bm25s.
    Takes each document's token ids as a numpy int array.
    """

    def build_index_from_ids(
        self,
        unique_token_ids: Any,
        corpus_token_ids: Any,
        show_progress: bool = False,
        leave_progress: bool = False,
    ) -> dict[str, Any]:
        import scipy.sparse as sp

        self.nonoccurrence_array = None  # the Lucene variant has none
        n_docs, n_vocab = len(corpus_token_ids), len(unique_token_ids)
        lengths = np.fromiter((len(ids) for ids in corpus_token_ids), dtype=np.int64, count=n_docs)
        flat = np.concatenate(corpus_token_ids).astype(np.int32) if n_docs else np.zeros(0, np.int32)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        # Counts per (document, token): a CSR matrix of ones whose duplicates are summed.
        counts = sp.csr_matrix((np.ones(len(flat), np.float64), flat, indptr), shape=(n_docs, n_vocab))
        counts.sum_duplicates()
        tf, tokens = counts.data, counts.indices
        docs = np.repeat(np.arange(n_docs), np.diff(counts.indptr))
        df = np.bincount(tokens, minlength=n_vocab)
        idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        average = lengths.mean() if n_docs else 1.0
        norm = self.k1 * ((1 - self.b) + self.b * lengths[docs] / average)
        counts.data = idf[tokens] * (tf / (norm + tf))
        matrix = counts.tocsc().astype(self.dtype)
        matrix.sort_indices()
        return {"data": matrix.data, "indices": matrix.indices, "indptr": matrix.indptr, "num_docs": n_docs}


# --------------------------------------------------------------------------------------- index
def _codes(values: Sequence[str]) -> tuple[np.ndarray, dict[str, int]]:
    mapping: dict[str, int] = {}
    codes = np.fromiter((mapping.setdefault(value, len(mapping)) for value in values), np.int32, len(values))
    return codes, mapping


def _ordinals(values: Iterable[date | None], missing: int) -> np.ndarray:
    return np.array([value.toordinal() if value else missing for value in values], dtype=np.int64)


def _region_part(code: str, length: int) -> int:
    return int(code[:length]) if len(code) == 6 and code.isdigit() else -1


@dataclass
class SearchIndex:
    """The entries, their BM25 matrix, and one numpy array per filterable property."""

    stamp: tuple[Any, ...]
    entries: list[Entry]
    hashes: tuple[str, ...]
    bm25: VectorBM25 | None
    vocab: dict[str, int]
    vocab_size: int
    built_in_ms: float = 0.0
    segmented: int = 0
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    maps: dict[str, dict[str, int]] = field(default_factory=dict)
    themes: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: list[Entry], *, stamp: tuple[Any, ...], store: TokenStore) -> SearchIndex:
        started = time.perf_counter()
        ids, fresh = store.ids_for(entries)
        vocab_size = len(store.words)
        bm25 = None
        if entries:
            bm25 = VectorBM25(k1=1.2, b=0.75, method="lucene")
            bm25.index(
                bm25s.tokenization.Tokenized(ids=ids, vocab=store.vocab),
                create_empty_token=False,
                show_progress=False,
            )
        index = cls(stamp, entries, tuple(e.text_hash for e in entries), bm25, store.vocab, vocab_size)
        index._arrays()
        index.built_in_ms = (time.perf_counter() - started) * 1000
        index.segmented = len(fresh)
        return index

    def _arrays(self) -> None:
        entries = self.entries
        arrays = self.arrays
        arrays["is_item"] = np.array([entry.kind == ITEM for entry in entries], dtype=bool)
        for name in ("level", "department"):
            arrays[name], self.maps[name] = _codes([getattr(entry, name) for entry in entries])
        for length in (2, 4, 6):
            arrays[f"region{length}"] = np.array(
                [_region_part(e.region_code, length) for e in entries], np.int64
            )
        arrays["starts"] = _ordinals((e.starts_on for e in entries), _FAR_PAST)
        arrays["ends"] = _ordinals((e.ends_on for e in entries), _FAR_FUTURE)
        arrays["opens"] = _ordinals((e.opens_on for e in entries), _FAR_PAST)
        arrays["closes"] = _ordinals((e.closes_on for e in entries), _FAR_FUTURE)
        arrays["auto"] = np.array([entry.auto_entitlement for entry in entries], dtype=bool)
        rows = {entry.object_id: row for row, entry in enumerate(entries) if entry.kind == DOCUMENT}
        arrays["document_row"] = np.array(
            [rows.get(entry.document_id, -1) if entry.kind == ITEM else -1 for entry in entries], np.int64
        )
        for row, entry in enumerate(entries):
            for theme in entry.themes:
                self.themes.setdefault(theme, np.zeros(len(entries), dtype=bool))[row] = True
        # Browsing without a query: newest document first, a document before its items, then by title.
        order = sorted(
            range(len(entries)),
            key=lambda r: (
                -(entries[r].published_on or date.min).toordinal(),
                entries[r].kind,
                entries[r].title,
            ),
        )
        arrays["browse_rank"] = np.empty(len(entries), dtype=np.int64)
        arrays["browse_rank"][order] = np.arange(len(entries))

    def effective_mask(self, as_of: date) -> np.ndarray:
        day = as_of.toordinal()
        return (self.arrays["starts"] <= day) & (day <= self.arrays["ends"])

    def open_mask(self, as_of: date) -> np.ndarray:
        day = as_of.toordinal()
        arrays = self.arrays
        items = (
            arrays["is_item"]
            & self.effective_mask(as_of)
            & ~arrays["auto"]
            & (arrays["opens"] <= day)
            & (day <= arrays["closes"])
        )
        result = items.copy()
        rows = arrays["document_row"][items]
        result[rows[rows >= 0]] = True
        return result

    def mask(self, *, as_of: date, **filters: Any) -> np.ndarray:
        arrays = self.arrays
        mask = np.ones(len(self.entries), dtype=bool)
        if filters.get("kind"):
            mask &= arrays["is_item"] == (filters["kind"] == ITEM)
        for name in ("level", "department"):
            if filters.get(name):
                mask &= arrays[name] == self.maps[name].get(filters[name], -1)
        if filters.get("region_code"):
            prefix = region_prefix(filters["region_code"])
            mask &= arrays[f"region{len(prefix)}"] == int(prefix)
        if filters.get("theme"):
            theme = self.themes.get(filters["theme"])
            mask &= theme if theme is not None else False
        if filters.get("effective_only"):
            mask &= self.effective_mask(as_of)
        if filters.get("open_only"):
            mask &= self.open_mask(as_of)
        return mask

    def _containing(self, token_ids: Sequence[int]) -> np.ndarray:
        """Rows whose text contains at least one of the tokens."""
        present = np.zeros(len(self.entries), dtype=bool)
        if self.bm25 is not None:
            indptr, indices = self.bm25.scores["indptr"], self.bm25.scores["indices"]
            for token_id in token_ids:
                present[indices[indptr[token_id] : indptr[token_id + 1]]] = True
        return present

    def coverage_mask(self, words: Sequence[tuple[str, ...]]) -> np.ndarray:
        """Rows that contain enough of the query's words (decided here: all of up to three words,
        one in four may be missing from longer queries, so a question typed in full still finds).

        A row contains a word when it contains the word itself; a word the index has never seen
        (a new compound) counts when the row contains one of its parts; a word of which nothing is
        known cannot be required.
        """
        counts = np.zeros(len(self.entries), dtype=np.int32)
        required = 0
        for word in words:
            whole = self.term_ids(word[-1:])
            ids = whole or self.term_ids(word[:-1])
            if not ids:
                continue
            required += 1
            counts += self._containing(ids)
        if not required:
            return np.zeros(len(self.entries), dtype=bool)
        needed = required if required <= 3 else required - required // 4
        return counts >= needed

    def term_ids(self, terms: Sequence[str]) -> list[int]:
        """Ids of the terms that occur in this index (the vocabulary may have grown since)."""
        return [self.vocab[t] for t in terms if t in self.vocab and self.vocab[t] < self.vocab_size]


_index_lock = threading.Lock()
_index: SearchIndex | None = None
_store: TokenStore | None = None


def current_index(*, today: date | None = None) -> SearchIndex:
    """This process's index, rebuilt first if the library changed since it was built."""
    global _index, _store
    today = today or timezone.localdate()
    stamp = corpus_stamp(today=today)
    index = _index
    if index is not None and index.stamp == stamp:
        return index
    with _index_lock:
        if _index is not None and _index.stamp == stamp:
            return _index
        entries = load_entries(today=today)
        if _index is not None and _index.hashes == tuple(entry.text_hash for entry in entries):
            # Same texts (only dates, levels or regions changed): keep the BM25 matrix, rebuild the
            # filter arrays in a new object, swapped in whole for threads searching meanwhile.
            index = dataclasses.replace(_index, stamp=stamp, entries=entries, arrays={}, maps={}, themes={})
            index._arrays()
            _index = index
            return _index
        if _store is None:
            _store = TokenStore(_cache_dir())
        _index = SearchIndex.build(entries, stamp=stamp, store=_store)
        logger.info(
            "policy search: indexed %d entries in %.0f ms (%d segmented)",
            len(entries),
            _index.built_in_ms,
            _index.segmented,
        )
        return _index


def reset_search_index() -> None:
    """Forget this process's index and token store (tests, benchmarks, a changed cache directory)."""
    global _index, _store
    with _index_lock:
        _index, _store = None, None


# ------------------------------------------------------------------------------------- warming
@dataclass(frozen=True)
class TokenCacheReport:
    """What `warm_token_cache` did: the searchable entries, those segmented now, and where."""

    documents: int
    items: int
    segmented_documents: int
    segmented_items: int
    seconds: float
    directory: Path | None

    @property
    def segmented(self) -> int:
        return self.segmented_documents + self.segmented_items

    @property
    def cached(self) -> int:
        """Entries whose tokens were in the cache already."""
        return self.documents + self.items - self.segmented

    def summary(self) -> str:
        if self.directory is None:
            return "未启用磁盘分词缓存（POLICY_SEARCH_CACHE_DIR 为空），无需预热"
        return (
            f"政策文件 {self.documents} 份、奖补项目 {self.items} 项；新分词 {self.segmented} 条"
            f"（文件 {self.segmented_documents}、项目 {self.segmented_items}），"
            f"已在缓存 {self.cached} 条；用时 {self.seconds:.1f} 秒（缓存目录 {self.directory}）"
        )


def warm_token_cache(*, today: date | None = None) -> TokenCacheReport:
    """Segment every searchable text the on-disk token cache lacks and write the cache, so that the
    first search of a process reads tokens instead of running jieba (minutes for a large library).

    The entries are those a search as of `today` indexes (load_entries). A store of its own reads
    the files, segments only what they lack and writes them only then (or when there are none):
    a second run segments nothing and writes nothing. The index of this process is left alone:
    the command and the background worker that call this never search. With the disk cache turned
    off (POLICY_SEARCH_CACHE_DIR empty) there is nothing to warm: the report says so (`directory`
    None). Raises PolicySearchCacheUnwritableError when the files cannot be written.
    """
    started = time.perf_counter()
    directory = _cache_dir()
    if directory is None:
        return TokenCacheReport(0, 0, 0, 0, time.perf_counter() - started, None)
    entries = load_entries(today=today or timezone.localdate())
    store = TokenStore(directory)
    _ids, fresh = store.ids_for(entries)
    if not store.save_error and store.file_stamp() is None:
        store._save()  # nothing to segment, but no files yet (or they were deleted)
    if store.save_error:
        raise PolicySearchCacheUnwritableError(
            f"无法写入政策检索分词缓存（{store.directory}）：{store.save_error}。"
            "请检查该目录的权限或设置 POLICY_SEARCH_CACHE_DIR。"
        )
    documents = sum(entry.kind == DOCUMENT for entry in entries)
    segmented_documents = sum(entries[position].kind == DOCUMENT for position in fresh)
    return TokenCacheReport(
        documents=documents,
        items=len(entries) - documents,
        segmented_documents=segmented_documents,
        segmented_items=len(fresh) - segmented_documents,
        seconds=time.perf_counter() - started,
        directory=store.directory,
    )
