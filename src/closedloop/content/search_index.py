"""Keyword plus semantic-ish search over the content library, with nothing downloaded at run time.

Three signals, each a cosine similarity between the query and an asset:
- words: TF-IDF over lightly stemmed words and word pairs (title and tags counted more);
- characters: TF-IDF over 3–5 letter pieces of the title, tags and summary, so typos and word
  forms ("onboard" / "onboarding") still meet;
- topics: latent semantic analysis (TruncatedSVD of the word matrix), so assets that share a
  topic's vocabulary score even without the query's exact words.
Queries are first widened with a small sales vocabulary of synonyms (docs/content.md). Pure
Python + scikit-learn + NumPy; no Django."""

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    pass

# scikit-learn is imported when the first index is built, not when the URLs load: it costs
# seconds at every server start and most processes never search.


@functools.cache
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _normalize(matrix: Any) -> Any:
    from sklearn.preprocessing import normalize

    return normalize(matrix)


WEIGHTS = (0.5, 0.2, 0.3)  # words, characters, topics
# Below this an asset shares no more than stray letter groups or a faint topic with the query.
MIN_SCORE = 0.05
# Reps write like they talk; these expansions map their words to the library's words.
SYNONYMS: dict[str, str] = {
    "price": "pricing cost budget roi",
    "pricing": "price cost budget roi",
    "expensive": "pricing cost budget roi objection",
    "cost": "pricing price roi budget",
    "budget": "pricing cost roi cfo",
    "roi": "return investment payback savings cost",
    "competitor": "comparison versus alternative",
    "competitors": "comparison versus alternative",
    "vs": "versus comparison",
    "versus": "comparison",
    "compare": "comparison versus",
    "alternative": "comparison versus competitor",
    "switch": "migration comparison competitor",
    "spreadsheet": "spreadsheets excel",
    "excel": "spreadsheets spreadsheet",
    "security": "gdpr compliance soc data protection",
    "gdpr": "security compliance data protection privacy",
    "compliance": "security gdpr audit",
    "it": "security integration sso",
    "cio": "it security integration",
    "cfo": "finance roi budget pricing",
    "finance": "cfo roi budget",
    "ceo": "founder",
    "founder": "ceo small business",
    "ops": "operations",
    "warehouse": "warehousing logistics fulfilment",
    "logistics": "freight shipping warehouse",
    "shipping": "freight logistics delivery",
    "late": "delay delays",
    "downtime": "outage breakdown maintenance",
    "customer": "case study story",
    "story": "case study customer",
    "proof": "case study customer results",
    "reference": "case study customer",
    "call": "script phone",
    "cold": "prospecting outreach first",
    "voicemail": "call script phone",
    "follow": "follow-up email template",
    "followup": "follow-up email template",
    "text": "sms",
    "whatsapp": "messenger",
    "linkedin": "messenger social",
    "demo": "demonstration walkthrough product",
    "onboarding": "implementation rollout setup",
    "implementation": "onboarding rollout setup",
    "setup": "implementation onboarding",
    "integrate": "integration integrations",
    "sap": "erp integration",
    "erp": "sap integration",
    "features": "product sheet capabilities",
    "overview": "one-pager summary",
    "summary": "one-pager overview",
    "video": "webinar recording",
    "recording": "webinar",
    "kpi": "kpis metrics dashboards",
    "kpis": "kpi metrics dashboards",
    "metrics": "kpi dashboards",
    "forecast": "forecasting demand planning",
    "objection": "objections handling",
    "renewal": "retention churn expansion",
    "churn": "retention renewal",
    "upsell": "expansion upgrade",
    "enterprise": "large",
    "small": "smb starter",
    "trial": "pilot",
    "poc": "pilot",
}

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s")


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _stop_words() or w == "it"]


def expand(query: str) -> str:
    extra = [SYNONYMS[w] for w in _WORD.findall(query.lower()) if w in SYNONYMS]
    return " ".join([query, *extra])


@dataclass(frozen=True)
class Document:
    id: int
    title: str
    body: str
    tags: Sequence[str] = ()
    summary: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Hit:
    id: int
    score: float
    coverage: float = 1.0  # share of the query's words the asset contains (synonyms count)


class SearchIndex:
    """Built once per library change; a query costs a few sparse and dense dot products."""

    def __init__(self, documents: Sequence[Document], *, topics: int = 128, seed: int = 0) -> None:
        self.ids = np.array([d.id for d in documents], dtype=np.int64)
        self.size = len(documents)
        if not documents:
            return
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        # Title and tags repeated: what an asset is called and tagged says most about it.
        full = [
            " ".join([d.title] * 3 + list(d.tags) * 2 + [d.kind.replace("_", " ")] * 2 + [d.summary, d.body])
            for d in documents
        ]
        short = [" ".join([d.title, *d.tags, d.kind.replace("_", " "), d.summary]) for d in documents]
        self._words = TfidfVectorizer(
            analyzer=words, sublinear_tf=True, min_df=1, dtype=np.float32, norm="l2"
        )
        self._word_matrix = self._words.fit_transform(full)
        self._chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True, dtype=np.float32
        )
        self._char_matrix = self._chars.fit_transform(short)
        rank = min(topics, self._word_matrix.shape[0] - 1, self._word_matrix.shape[1] - 1)
        self._svd: TruncatedSVD | None = None
        if rank >= 2:
            self._svd = TruncatedSVD(n_components=rank, random_state=seed)
            self._topic_matrix = _normalize(self._svd.fit_transform(self._word_matrix)).astype(np.float32)

    def scores(self, query: str) -> np.ndarray:
        """A score in [0, 1] per document, in index order."""
        if not self.size or not query.strip():
            return np.zeros(self.size, dtype=np.float32)
        wide = expand(query)
        q_words = self._words.transform([wide])
        # CSR matrix times a dense vector is one pass over the non-zeros: several times faster
        # than a sparse-by-sparse product on 10,000 assets.
        word = self._word_matrix @ q_words.toarray().ravel().astype(np.float32)
        char = self._char_matrix @ self._chars.transform([query]).toarray().ravel().astype(np.float32)
        topic = np.zeros(self.size, dtype=np.float32)
        if self._svd is not None and q_words.nnz:
            q_topic = _normalize(self._svd.transform(q_words))
            topic = np.clip(self._topic_matrix @ q_topic.ravel().astype(np.float32), 0, None)
        w_word, w_char, w_topic = WEIGHTS
        return (w_word * word + w_char * char + w_topic * topic).astype(np.float32)

    def search(self, query: str, *, allowed: set[int] | None = None, limit: int = 10) -> list[Hit]:
        scores = self.scores(query)
        if allowed is not None:
            mask = np.isin(self.ids, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
            scores = np.where(mask, scores, -1.0)
        if not self.size:
            return []
        count = min(limit, self.size)
        top = np.argpartition(-scores, count - 1)[:count] if count < self.size else np.arange(self.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        wanted = self._wanted(query)
        hits = []
        for i in top:
            if scores[i] < MIN_SCORE:
                break
            present = set(self._word_matrix[int(i)].indices.tolist())
            coverage = sum(1 for options in wanted if options & present) / len(wanted) if wanted else 0.0
            hits.append(Hit(int(self.ids[i]), round(float(scores[i]), 4), round(coverage, 4)))
        return hits

    def coverage(self, query: str, position: int) -> float:
        """Share of the query's words found in the asset at `position`, directly or through a
        synonym. A high score on half the words ("healthcare case study") is not a find."""
        wanted = self._wanted(query)
        if not wanted or not self.size:
            return 0.0
        present = set(self._word_matrix[position].indices.tolist())
        return sum(1 for options in wanted if options & present) / len(wanted)

    def _wanted(self, query: str) -> list[set[int]]:
        """Per distinct query word, the vocabulary columns that count as finding it."""
        vocabulary = self._words.vocabulary_
        raw = {_stem(w): w for w in _WORD.findall(query.lower())}
        wanted = []
        for word in dict.fromkeys(words(query)):
            options = [word, *words(SYNONYMS.get(raw.get(word, word), ""))]
            wanted.append({vocabulary[o] for o in options if o in vocabulary})
        return wanted
