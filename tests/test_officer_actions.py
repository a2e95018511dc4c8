"""Officer actions in chat: thụ lý (accept), checked on the server and told to the citizen."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import Application
from storage import models as m
from tests.sandbox_client import SandboxPerson, texts
from tests.test_filing_sandbox import file_complaint


async def opened_by(person: SandboxPerson) -> list[dict]:
    notice = await person.new_lines()
    return await person.press("Mở đơn", notice)


async def test_the_assignee_accepts_and_the_citizen_learns_the_resolution_deadline(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    await file_complaint(citizen)
    officer = SandboxPerson(sandbox_app, http, "officer-sp.tiepdan")
    opened = await opened_by(officer)
    done = texts(await officer.press("Thụ lý", opened))
    # kn1.resolve: accepted Mon 02/03/2026 + 30 days = Wed 01/04/2026 (Điều 28 Luật Khiếu nại).
    assert "Đã thụ lý đơn SP-2026-000001" in done and "01/04/2026" in done

    told = texts(await citizen.new_lines())
    assert "đã được thụ lý" in told and "01/04/2026" in told
    mine = await citizen.press("Đơn của tôi", await citizen.act({"kind": "text", "text": "/menu"}))
    assert "Đã thụ lý" in texts(mine)

    async with sandbox_app.db.transaction() as session:
        deadlines = {d.rule_id: d.status for d in await session.scalars(select(m.Deadline))}
        events = [e.action for e in await session.scalars(select(m.PetitionEvent))]
    assert deadlines == {"kn1.accept": "met", "kn1.resolve": "open"}
    assert events == ["received", "accept"]

    again = texts(await officer.press("Thụ lý", opened))
    assert "Không thể thực hiện" in again, "a replayed press changes nothing"


@pytest.mark.parametrize(
    ("who", "answer"),
    [
        ("citizen-2", "dành cho cán bộ"),  # a citizen forging the officer's button
        ("officer-tx.tiepdan", "không có quyền"),  # an officer of another commune
        ("officer-sp.kinhte", "không có quyền"),  # an officer of another office, same commune
    ],
)
async def test_no_one_else_can_accept(
    sandbox_app: Application, http: aiohttp.ClientSession, who: str, answer: str
) -> None:
    await file_complaint(SandboxPerson(sandbox_app, http, "citizen-1"))
    intruder = SandboxPerson(sandbox_app, http, who)
    await intruder.new_lines()
    refused = texts(await intruder.act({"kind": "callback", "data": "pa:1.accept"}))
    assert answer in refused
    async with sandbox_app.db.transaction() as session:
        petition = await session.get_one(m.Petition, 1)
    assert petition.state == "received"
