"""CPU_AFFINITY: which CPU the bot keeps to."""

from __future__ import annotations

import pytest

from bot.affinity import cpus_for


def test_auto_spreads_processes_over_the_allowed_cpus() -> None:
    assert cpus_for("auto", {0, 1}, pid=1000) == {0}
    assert cpus_for("auto", {0, 1}, pid=1001) == {1}
    assert cpus_for("auto", {2, 5, 7}, pid=4) == {5}


def test_none_or_a_single_cpu_machine_leaves_scheduling_alone() -> None:
    assert cpus_for("none", {0, 1}, pid=1) is None
    assert cpus_for("auto", {3}, pid=1) is None


def test_an_explicit_list_must_name_available_cpus() -> None:
    assert cpus_for("0,1", {0, 1, 2}, pid=1) == {0, 1}
    with pytest.raises(ValueError, match="not available"):
        cpus_for("4", {0, 1}, pid=1)
