"""Persona suggestions from won customers: cluster their traits (categories one-hot encoded,
sizes and deal values log-scaled and standardised, like k-prototypes) with k-means, then say in
plain words what sets each cluster apart. Pure Python + scikit-learn; no Django."""

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

CATEGORIES = ("persona", "industry", "channel")
# The persona label is what we question, so it counts for less than the traits that describe a
# buyer; without this, k-means would mostly rediscover the existing personas.
WEIGHTS = {"persona": 0.5, "industry": 1.0, "channel": 1.0}
MIN_CUSTOMERS = 8
# A persona covering at least this share of a cluster "owns" it: suggest refining that persona.
OWNED_SHARE = 0.6
SILHOUETTE_SLACK = 0.05


@dataclass(frozen=True)
class Customer:
    persona: str
    industry: str
    channel: str
    company_size: float | None
    revenue: float


@dataclass
class ClusterSuggestion:
    number: int
    size: int
    share: float
    revenue: float
    revenue_share: float
    kind: str  # "refine" an existing persona or a "new" one
    persona: str
    headline: str
    traits: list[str] = field(default_factory=list)
    median_company_size: float | None = None
    median_revenue: float = 0.0


def _matrix(customers: list[Customer]) -> np.ndarray:
    columns: list[np.ndarray] = []
    for name in CATEGORIES:
        values = [getattr(c, name) or "(unknown)" for c in customers]
        for level in sorted(set(values)):
            columns.append(np.array([WEIGHTS[name] if v == level else 0.0 for v in values]))
    sizes = np.array([math.log1p(c.company_size) if c.company_size else np.nan for c in customers])
    fill = np.nanmedian(sizes) if np.isfinite(sizes).any() else 0.0
    sizes = np.where(np.isnan(sizes), fill, sizes)
    revenue = np.log1p(np.array([max(c.revenue, 0.0) for c in customers]))
    for numbers in (sizes, revenue):
        spread = numbers.std()
        columns.append((numbers - numbers.mean()) / spread if spread > 0 else numbers * 0)
    return np.column_stack(columns)


def _best_k(x: np.ndarray, seed: int) -> tuple[int, np.ndarray]:
    """The fewest clusters whose silhouette is within SILHOUETTE_SLACK of the best: a few broad
    suggestions are easier to act on than many fine ones."""
    tried: list[tuple[float, int, np.ndarray]] = []
    for k in range(2, min(6, len(x) - 1) + 1):
        # A few hundred customers: one thread is faster than waking a pool on a busy web server.
        with threadpool_limits(limits=1):
            labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(x)
        if len(set(labels)) < 2:
            continue
        tried.append((float(silhouette_score(x, labels)), k, labels))
    if not tried:
        return 1, np.zeros(len(x), dtype=int)
    best = max(score for score, _, _ in tried)
    _, k, labels = min((t for t in tried if t[0] >= best - SILHOUETTE_SLACK), key=lambda t: t[1])
    return k, labels


def _label(value: str) -> str:
    return value.replace("_", " ") if value else "unknown"


def persona_suggestions(customers: list[Customer], *, seed: int = 0) -> list[ClusterSuggestion]:
    """Clusters of won customers, biggest revenue first; [] with fewer than MIN_CUSTOMERS."""
    if len(customers) < MIN_CUSTOMERS:
        return []
    _, labels = _best_k(_matrix(customers), seed)
    total_revenue = sum(c.revenue for c in customers) or 1.0
    overall = {name: Counter(getattr(c, name) or "" for c in customers) for name in CATEGORIES}
    suggestions = []
    for number in sorted(set(labels.tolist())):
        members = [c for c, label in zip(customers, labels, strict=True) if label == number]
        n = len(members)
        traits = []
        for name in CATEGORIES:
            value, count = Counter(getattr(c, name) or "" for c in members).most_common(1)[0]
            share = count / n
            base = overall[name][value] / len(customers)
            if value and share >= 0.5:
                lift = (
                    f", {share / base:.1f}× the share among all customers"
                    if base and share / base >= 1.2
                    else ""
                )
                traits.append(f"{share:.0%} {name} {_label(value)}{lift}")
        sizes = [c.company_size for c in members if c.company_size]
        median_size = float(np.median(sizes)) if sizes else None
        median_revenue = float(np.median([c.revenue for c in members]))
        if median_size is not None:
            traits.append(f"typical company size {median_size:,.0f} employees")
        traits.append(f"typical deal {median_revenue:,.0f}")
        persona, persona_count = Counter(c.persona or "" for c in members).most_common(1)[0]
        owned = bool(persona) and persona_count / n >= OWNED_SHARE
        revenue = sum(c.revenue for c in members)
        if owned:
            headline = (
                f"{n} won customers, mostly {_label(persona)} ({persona_count / n:.0%}): refine that persona with "
                "the traits below"
            )
        else:
            mix = ", ".join(
                f"{_label(p)} {k / n:.0%}"
                for p, k in Counter(c.persona or "" for c in members).most_common(3)
            )
            headline = f"{n} won customers that no single persona describes ({mix}): consider a new persona"
        suggestions.append(
            ClusterSuggestion(
                number=number + 1, size=n, share=n / len(customers), revenue=revenue,
                revenue_share=revenue / total_revenue, kind="refine" if owned else "new",
                persona=persona if owned else "", headline=headline, traits=traits,
                median_company_size=median_size, median_revenue=median_revenue,
            )
        )  # fmt: skip
    return sorted(suggestions, key=lambda s: -s.revenue)
