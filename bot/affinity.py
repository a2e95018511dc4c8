"""Keep the bot's process on one CPU.

Python runs one thread at a time, so a second core buys the bot little; but every database call
hands work to aiosqlite's thread and back, and when that thread wakes on another core each hand-
over costs a cross-CPU wake-up. Measured with bench/filing_throughput.py on a 2-core machine: 112
updates/s unpinned, 209 pinned. `CPU_AFFINITY` says which CPU: `auto` spreads several bot
processes over the CPUs by process id, `none` leaves scheduling to the OS, or a list such as `1`
or `0,2`.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def cpus_for(setting: str, allowed: set[int], pid: int) -> set[int] | None:
    """The CPUs to keep the process on, or None to leave it alone."""
    choice = setting.strip().lower()
    if choice in {"", "none"} or len(allowed) <= 1:
        return None
    if choice == "auto":
        ordered = sorted(allowed)
        return {ordered[pid % len(ordered)]}
    wanted = {int(part) for part in choice.split(",") if part.strip()}
    if not wanted <= allowed:
        missing = sorted(wanted - allowed)
        raise ValueError(f"CPU_AFFINITY={setting!r}: CPUs {missing} are not available")
    return wanted


def pin_process(setting: str) -> None:
    """Apply `CPU_AFFINITY` where the system allows it (Linux)."""
    if not hasattr(os, "sched_setaffinity"):
        return
    cpus = cpus_for(setting, os.sched_getaffinity(0), os.getpid())
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
        log.info("running on CPU %s", ",".join(map(str, sorted(cpus))))
