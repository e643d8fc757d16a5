"""The detectors, one module each. A detector is a function `detect(*, now) -> list[Finding]` that
reads only data dated before `now` (so a check can replay any moment of the past) and returns a
finding for every subject whose condition holds. `alarms_check` turns findings into alarms."""

from collections.abc import Callable
from datetime import datetime

from closedloop.alarms.detectors import (
    campaign_conversion_gap,
    landing_page_unreviewed,
    leads_without_owner,
    stage_conversion_drop,
)
from closedloop.alarms.detectors.finding import Finding

Detector = Callable[..., list[Finding]]

# kind → detect function. Adding a detector: a module with KIND and detect(), listed here.
DETECTORS: dict[str, Detector] = {
    module.KIND: module.detect
    for module in (
        campaign_conversion_gap,
        landing_page_unreviewed,
        leads_without_owner,
        stage_conversion_drop,
    )
}


def detect_all(*, now: datetime, kinds: list[str] | None = None) -> dict[str, list[Finding]]:
    return {kind: detect(now=now) for kind, detect in DETECTORS.items() if kinds is None or kind in kinds}


__all__ = ["DETECTORS", "Detector", "Finding", "detect_all"]
