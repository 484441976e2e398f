"""Chinese text preparation for the appeal classifier: normalisation, segmentation, stop words.

Why these steps (decided from the 12345 message-board data in ../shared/data/gov-messages/):

* **NFKC + lower case.** Appeals are typed on phones and PCs with mixed input methods: full-width
  digits and Latin letters (`Ａ３区`, `２０１９`), ideographic spaces (U+3000) and no-break spaces
  (U+00A0) are common. NFKC folds them into their half-width forms, so `Ａ３` and `A3` are one feature.
* **Greetings are kept.** Boilerplate such as 尊敬的领导 / 您好 / 谢谢 occurs in every category;
  sublinear TF-IDF gives such terms a low weight already, and stripping them by pattern would also
  cut real content from short appeals.
* **Punctuation is dropped**: only tokens with at least one letter, digit or ideograph are kept.
* **Stop words are learned from the training data, not fixed.** Historical data is sometimes exported
  already segmented with stop words removed (the message-board training split is: no 的, 了, 是, 我,
  不 ...), while new appeals arrive as raw text. A word that is very frequent in general Chinese
  (jieba's dictionary frequencies) but absent from the training texts was evidently filtered out of
  them, so it is filtered out of texts to classify too: both then look alike to the character n-grams.
  Trained on raw text, the learned list contains only words that are both common and absent, which
  carry no learned weight anyway.

jieba is initialised lazily, once per process, from the dictionary it ships with (no download) and
with its start-up log silenced.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable

import jieba

__all__ = [
    "learn_gap_stopwords",
    "normalise_text",
    "tokenise",
]

# jieba logs "Building prefix dict..." at DEBUG on its own stderr handler.
jieba.setLogLevel(logging.WARNING)

_tokenizer: jieba.Tokenizer | None = None
_tokenizer_lock = threading.Lock()


def _segmenter() -> jieba.Tokenizer:
    """The process-wide jieba tokenizer, loaded on first use (about 1 s; cached by jieba in the temp dir)."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def normalise_text(text: str) -> str:
    """Fold full-width forms to half-width (NFKC), lower-case, and collapse all whitespace to one space."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _is_word(token: str) -> bool:
    # str.isalnum() is true for ideographs, letters and digits (also full-width ones, folded above).
    return any(char.isalnum() for char in token)


def tokenise(text: str, stopwords: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Normalise ``text`` and segment it into words with jieba, dropping punctuation and ``stopwords``.

    Text that is already segmented (words separated by spaces) is cut chunk by chunk, so an existing
    segmentation is kept, while raw text is segmented by jieba.
    """
    segmenter = _segmenter()
    tokens: list[str] = []
    for chunk in normalise_text(text).split(" "):
        if not chunk:
            continue
        for token in segmenter.lcut(chunk):
            if _is_word(token) and token not in stopwords:
                tokens.append(token)
    return tokens


def learn_gap_stopwords(token_docs: Iterable[list[str]], *, min_expected: float) -> frozenset[str]:
    """Words common in general Chinese that never occur in ``token_docs``: the training data's stop words.

    A word is selected when its expected count in a corpus of this size, from jieba's dictionary
    frequencies, is at least ``min_expected`` but it occurs zero times. With little training text
    (or raw text) the list is short or empty.
    """
    counts: Counter[str] = Counter()
    for tokens in token_docs:
        counts.update(tokens)
    corpus_size = sum(counts.values())
    if corpus_size == 0:
        return frozenset()
    segmenter = _segmenter()
    min_frequency = min_expected * segmenter.total / corpus_size
    return frozenset(
        word
        for word, frequency in segmenter.FREQ.items()
        if frequency >= min_frequency and word not in counts and _is_word(word)
    )
