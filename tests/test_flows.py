"""Declared flows (`bot.flow`): every graph is whole; an unfinished draft is offered again."""

from __future__ import annotations

import aiohttp
import pytest

import handlers
from bot.app import Application
from bot.flow import FLOWS, Flow
from handlers.filing import Writing
from tests.sandbox_client import SandboxPerson, texts
from tests.test_reception import press_through, start_reception


def test_every_step_of_every_flow_is_answered_and_reachable() -> None:
    """A step declared but never registered (or registered and unreachable) is a dead end."""
    assert {"draft", "reception", "organising", "reception_day"} <= FLOWS.keys()
    for flow in FLOWS.values():
        registered = flow.graph.keys() & handlers.ROOT.states.keys()
        assert registered == flow.graph.keys(), f"{flow.key}: steps without an answer"
        targets = {target for targets in flow.graph.values() for target in targets}
        entries = flow.graph.keys() - targets
        assert entries, f"{flow.key}: no step to start from"
        for target in targets:
            assert target in flow.graph


def test_an_edge_not_declared_or_a_step_outside_the_graph_is_refused() -> None:
    with pytest.raises(ValueError, match="undeclared"):
        Flow(handlers.ROOT, "test.bad", Writing, {"a": ("b",)}, leave=None, cancelled="")  # type: ignore[arg-type]
    flow = Flow(handlers.ROOT, "test.ok", Writing, {"a": ()}, leave=None, cancelled="")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not in the flow's graph"):
        flow.step("b", prompt=None)  # type: ignore[arg-type]
    FLOWS.pop("test.ok")


async def test_a_visit_left_for_the_menu_is_offered_again_and_goes_on_where_it_was(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    chairman = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    lines = await start_reception(chairman)
    lines = await press_through(chairman, lines, "Tiếp định kỳ", "Thủ trưởng trực tiếp tiếp")
    assert "Có bao nhiêu người đến?" in texts(lines)

    await chairman.say("/start")  # the menu: the visit is kept
    offered = await chairman.press("Tiếp công dân", await chairman.say("/menu"))
    assert "đang làm dở" in texts(offered) and "Tiếp công dân" in texts(offered)
    lines = await chairman.press("Làm tiếp", offered)
    assert "Có bao nhiêu người đến?" in texts(lines)
    lines = await chairman.press("Quay lại", lines)  # the trail survived too
    assert "Ai trực tiếp tiếp công dân?" in texts(lines)


async def test_starting_again_forgets_the_unfinished_visit(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    chairman = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    lines = await start_reception(chairman)
    await press_through(chairman, lines, "Tiếp định kỳ")
    await chairman.say("/menu")
    offered = await chairman.press("Tiếp công dân", await chairman.say("/menu"))
    assert "đang làm dở" in texts(offered)
    lines = await chairman.say("bat dau lai")  # typed, without marks
    assert "Đây là buổi tiếp nào?" in texts(lines)
    await chairman.say("/menu")
    # Nothing is left midway now: the next press starts at once.
    assert "Đây là buổi tiếp nào?" in texts(await start_reception(chairman))
