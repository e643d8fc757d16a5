"""The demo's second pass: each capability adds its own demo records (scores, workflows, content,
meetings) on top of the generated company. A capability opts in with a module
`closedloop.<app>.demo_data` exposing `seed(log)`; the order below is the order they run in."""

import importlib
import importlib.util
import time
from collections.abc import Callable

EXTRA_MODULES = (
    "closedloop.handoff.demo_data",
    "closedloop.scoring.demo_data",
    "closedloop.content.demo_data",
    "closedloop.automation.demo_data",
    "closedloop.meetings.demo_data",
)


def demo_extras_seed(log: Callable[[str], object]) -> None:
    for name in EXTRA_MODULES:
        if importlib.util.find_spec(name) is None:
            continue  # that capability has no demo records yet
        started = time.perf_counter()
        importlib.import_module(name).seed(log)
        log(f"    ({name.split('.')[1]}: {time.perf_counter() - started:.1f} s)")
