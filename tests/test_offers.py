"""An answer's offers stay open after the notice scrolls away: the stars and the second complaint
are under the petition in «Đơn của tôi», and typing «4 sao» later still rates it."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
from sqlalchemy import select

from bot.app import Application
from storage import models as m
from tests.conftest import FakeClock
from tests.sandbox_client import SandboxPerson, labels, texts
from tests.test_casework import answered_complaint


async def test_the_rating_and_the_second_complaint_stay_reachable_after_other_messages(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    citizen, answer = await answered_complaint(sandbox_app, http)
    assert "⭐⭐⭐⭐" in labels(answer)
    await citizen.say("cảm ơn cán bộ")  # an unrelated message: the menu
    menu = await citizen.say("/menu")

    timeline = await citizen.press("Diễn biến", await citizen.press("Đơn của tôi", menu))
    assert "⭐⭐⭐⭐" in labels(timeline) and "⚖️ Khiếu nại lần hai" in labels(timeline)

    asked = await citizen.say("4 sao")  # typed, long after the notice
    assert "Điều gì khiến ông/bà đánh giá như vậy?" in texts(asked)
    async with sandbox_app.db.transaction() as session:
        rating = await session.scalar(select(m.Rating))
    assert rating is not None and rating.score == 4

    # Rated: the stars are no longer offered; the second complaint still is, until its window.
    timeline = await my_timeline(citizen)
    assert "⭐⭐⭐⭐" not in labels(timeline) and "⚖️ Khiếu nại lần hai" in labels(timeline)
    clock.now = datetime(2026, 4, 2, 3, 0, tzinfo=UTC)  # the day after its last day, 01/04/2026
    assert "⚖️ Khiếu nại lần hai" not in labels(await my_timeline(citizen))


async def my_timeline(citizen: SandboxPerson) -> list[dict]:
    """«Đơn của tôi», then the history of the one petition."""
    mine = await citizen.press("Đơn của tôi", await citizen.say("/menu"))
    return await citizen.press("Diễn biến", mine)


async def test_typed_stars_with_nothing_to_rate_are_not_taken(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, _ = await answered_complaint(sandbox_app, http)
    await citizen.say("5 sao")
    await citizen.say("/menu")
    # The one rating is kept; a second «5 sao» has nothing left to rate and shows the menu.
    lines = await citizen.say("5 sao")
    assert "Ông/bà cần gì? Chọn một mục bên dưới." in texts(lines)
    async with sandbox_app.db.transaction() as session:
        ratings = list(await session.scalars(select(m.Rating)))
    assert [r.score for r in ratings] == [5]


async def test_the_officers_card_shows_the_rating_and_why_in_the_officers_words(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    """The card's history says «Công dân đã đánh giá» with the stars, the reason and the
    comment, not the citizen's «Ông/bà đã đánh giá» (issue 14)."""
    citizen, answer = await answered_complaint(sandbox_app, http)
    reasons = await citizen.press("⭐⭐⭐⭐", answer)
    asked = await citizen.press("Trả lời rõ ràng", reasons)
    await citizen.say("Cán bộ giải thích dễ hiểu, cảm ơn.")
    assert asked
    officer = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    card = texts(await officer.act({"kind": "callback", "data": "op:1"}))
    assert "Công dân đã đánh giá — ⭐⭐⭐⭐ 4/5 · Trả lời rõ ràng" in card
    assert "«Cán bộ giải thích dễ hiểu, cảm ơn.»" in card
    assert "Ông/bà đã" not in card


async def test_rating_takes_the_stars_off_the_answer_and_leaves_the_second_complaint(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, answer = await answered_complaint(sandbox_app, http)
    notice = next(line for line in answer if "⭐⭐⭐⭐" in str(line["buttons"]))
    await citizen.press("⭐⭐⭐⭐", [notice])
    async with http.get(
        f"{citizen.base}/messages",
        params={"chat": citizen.chat, "after": 0},
        headers={"X-Sandbox": "1"},
    ) as response:
        transcript = (await response.json())["messages"]
    now = next(line for line in transcript if line["id"] == notice["id"])
    left = [button["text"] for row in now["buttons"] for button in row]
    assert left == ["⚖️ Khiếu nại lần hai"], "rated once: the stars go, the appeal stays open"
