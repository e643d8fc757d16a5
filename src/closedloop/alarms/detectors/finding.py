"""What a detector returns: one `Finding` per subject whose condition holds right now."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    kind: str
    # Stable across checks: the same campaign or stage pair gives the same key, so the check
    # updates the active alarm instead of raising a second one.
    subject_key: str
    severity: str
    title: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    campaign_id: int | None = None
    landing_page_id: int | None = None
    stage_pair: str = ""
    # False: the evidence is only strong enough to keep an already active alarm open (a lower bar
    # than raising, so an alarm near its threshold does not flap open/resolved every hour).
    raises: bool = True
