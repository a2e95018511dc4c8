"""A citizen files each kind of petition in the sandbox chat; the officer is told."""

from __future__ import annotations

import re

import aiohttp
import pytest

from bot.app import Application
from storage import models as m
from tests.sandbox_client import SandboxPerson, labels, texts


async def consent(person: SandboxPerson) -> list[dict]:
    lines = await person.say("/start")
    assert "dữ liệu cá nhân" in texts(lines)
    return await person.press("Tôi đã hiểu", lines)


async def file_complaint(person: SandboxPerson) -> list[dict]:
    lines = await consent(person)
    lines = await person.press("Gửi đơn", lines)
    assert "Khiếu nại" in texts(lines) and "Tố cáo" in texts(lines)
    lines = await person.press("Khiếu nại", lines)
    lines = await person.press("Đất đai", lines)
    lines = await person.press("Phú Đình", lines)
    lines = await person.press("Na Mao", lines)
    assert "kể lại sự việc" in texts(lines)
    lines = await person.say(
        "UBND xã thu hồi 200m2 đất vườn của gia đình tôi mà không có quyết định."
    )
    lines = await person.press("Xong", lines)
    lines = await person.say("Nguyễn Thị Dung")
    assert any(line["ask_contact"] for line in lines)
    lines = await person.act({"kind": "contact", "phone": "+84912345678"})
    lines = await person.say("Xóm Na Mao, xã Phú Đình")
    assert "kiểm tra lại đơn" in texts(lines)
    assert "Nguyễn Thị Dung" in texts(lines)
    return await person.press("Gửi đơn", lines)


async def file_denunciation(person: SandboxPerson, name: str, phone: str, address: str) -> None:
    """A named denunciation of a commune official, as a citizen files it."""
    lines = await consent(person)
    for label in ("Gửi đơn", "Tố cáo", "Thái độ", "Cán bộ, công chức", "Phú Đình", "Bản Trang"):
        lines = await person.press(label, lines)
    lines = await person.say("Cán bộ địa chính xã nhận tiền để làm sổ đỏ nhanh.")
    lines = await person.press("Xong", lines)
    lines = await person.press("Tiếp tục, ghi họ tên", lines)
    for answer in (name, phone, address):
        lines = await person.say(answer)
    await person.press("Gửi đơn", lines)


async def test_complaint_receipt_has_code_kind_and_statutory_date(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    receipt_lines = await file_complaint(citizen)
    receipt = texts(receipt_lines)
    assert re.search(r"Mã đơn: PD-2026-000001", receipt)
    assert "Loại đơn: Khiếu nại" in receipt
    assert "Ngày nhận: 02/03/2026" in receipt
    # kn1.accept: 10 days from Mon 02/03/2026 → Thu 12/03/2026 (Điều 27 Luật Khiếu nại 2011).
    assert "12/03/2026" in receipt and "Điều 27" in receipt
    assert "Văn phòng HĐND và UBND xã Phú Đình" in receipt

    mine = await citizen.press("Đơn của tôi", receipt_lines)
    assert "PD-2026-000001" in texts(mine) and "Đã tiếp nhận" in texts(mine)


async def test_routed_officer_is_told_with_a_button_to_open(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    await file_complaint(SandboxPerson(sandbox_app, http, "citizen-1"))
    officer = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    notice = await officer.new_lines()
    assert "Đơn mới PD-2026-000001" in texts(notice)
    assert "091****678" in texts(notice), "the notification masks the phone"
    opened = await officer.press("Mở đơn", notice)
    assert "thu hồi 200m2" in texts(opened) and "0912345678" in texts(opened)

    stranger = SandboxPerson(sandbox_app, http, "officer-ts.tiepdan")
    refused = await stranger.act({"kind": "callback", "data": notice[-1]["buttons"][0][0]["data"]})
    assert "không có quyền" in texts(refused)


async def test_denunciation_hides_the_denouncer_from_the_notification(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-2")
    lines = await consent(citizen)
    lines = await citizen.press("Gửi đơn", lines)
    lines = await citizen.press("Tố cáo", lines)
    lines = await citizen.press("Thái độ", lines)
    assert "bị tố cáo là ai" in texts(lines)
    lines = await citizen.press("Cán bộ, công chức của xã", lines)
    lines = await citizen.press("Phú Đình", lines)
    lines = await citizen.press("Bản Trang", lines)
    lines = await citizen.say("Cán bộ địa chính xã nhận tiền để làm sổ đỏ nhanh.")
    lines = await citizen.press("Xong", lines)
    assert "giữ bí mật" in texts(lines)
    lines = await citizen.press("Tiếp tục, ghi họ tên", lines)
    lines = await citizen.say("Hoàng Văn Tố")
    lines = await citizen.say("0987 654 321")
    lines = await citizen.say("Xóm Bản Trang")
    receipt = texts(await citizen.press("Gửi đơn", lines))
    assert "Tố cáo" in receipt and "PD-2026-000001" in receipt

    head = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    notice = texts(await head.new_lines())
    assert "Đơn mới" in notice
    assert "Hoàng Văn Tố" not in notice and "0987" not in notice and "654321" not in notice
    assert "bí mật" in notice


@pytest.mark.parametrize("choice", ["anonymous"])
async def test_feedback_may_be_anonymous(
    sandbox_app: Application, http: aiohttp.ClientSession, choice: str
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-3")
    lines = await consent(citizen)
    lines = await citizen.press("Gửi đơn", lines)
    lines = await citizen.press("Phản ánh", lines)
    lines = await citizen.press("Giao thông", lines)
    lines = await citizen.press("Phú Đình", lines)
    lines = await citizen.say("Đầu cầu tràn xóm Khau Diều")
    lines = await citizen.say("Đường bị sạt lở, xe máy không qua được.")
    lines = await citizen.press("Xong", lines)
    lines = await citizen.press("ẩn danh", lines)
    assert "ẩn danh" in texts(lines)
    receipt = texts(await citizen.press("Gửi đơn", lines))
    assert "PD-2026-000001" in receipt and "Phản ánh" in receipt
    # pakn.answer: 15 working days after Mon 02/03/2026 → Mon 23/03/2026.
    assert "23/03/2026" in receipt
    # The unit's own commitment, said so, in one pair of brackets (issue 14).
    assert "(Cam kết phục vụ của đơn vị, không phải quy định của luật)" in receipt
    assert "((" not in receipt and "))" not in receipt
    officer = SandboxPerson(sandbox_app, http, "officer-pd.kinhte")
    assert "Ẩn danh" in texts(await officer.new_lines())


async def test_denouncing_the_commune_chairman_goes_to_the_province_not_to_him(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-2")
    lines = await consent(citizen)
    for label in (
        "Gửi đơn",
        "Tố cáo",
        "Đất đai",
        "Chủ tịch hoặc Phó Chủ tịch",
        "Phú Đình",
        "Gốc Duối",
    ):
        lines = await citizen.press(label, lines)
    lines = await citizen.say("Chủ tịch xã giao đất công cho người nhà.")
    lines = await citizen.press("Xong", lines)
    lines = await citizen.press("Tiếp tục, ghi họ tên", lines)
    lines = await citizen.say("Lò Văn Tâm")
    lines = await citizen.say("0978 111 222")
    lines = await citizen.say("Xóm Gốc Duối")
    receipt = texts(await citizen.press("Gửi đơn", lines))
    assert "UBND tỉnh Thái Nguyên" in receipt
    assert "Đơn mới" in texts(
        await SandboxPerson(sandbox_app, http, "officer-tn.chutich").new_lines()
    )
    assert not await SandboxPerson(sandbox_app, http, "officer-pd.chutich").new_lines()
    assert not await SandboxPerson(sandbox_app, http, "officer-pd.phochutich").new_lines()


async def test_sandbox_api_refuses_other_sites_and_other_host_names(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    url = f"http://127.0.0.1:{sandbox_app.port}/sandbox/api/send"
    body = {"chat": "officer-pd.chutich", "action": {"kind": "text", "text": "/start"}}
    async with http.post(url, json=body) as response:
        assert response.status == 403, "a page from another site cannot add the header"
    rebound = {"X-Sandbox": "1", "Host": "attacker.example"}
    async with http.post(url, json=body, headers=rebound) as response:
        assert response.status == 403, "a rebound DNS name is not this machine"
    async with http.post(url, json=body, headers={"X-Sandbox": "1"}) as response:
        assert response.status == 200


async def test_the_language_button_speaks_the_menus_language(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    """Both languages only on the first screen, where a stranger looks for theirs; after that
    the menu reads in one language (issue 14)."""
    person = SandboxPerson(sandbox_app, http, "citizen-2")
    first = await person.say("/start")
    assert "🌐 Ngôn ngữ / Language" in labels(first)
    menu = await person.press("Tôi đã hiểu", first)
    assert "🌐 Ngôn ngữ" in labels(menu) and not any("Language" in b for b in labels(menu))
    choices = await person.press("Ngôn ngữ", menu)
    english = await person.press("English", choices)
    menu = await person.say("/menu")
    assert english and "🌐 Language" in labels(menu)
    assert not any("Ngôn ngữ" in b for b in labels(menu))


async def test_a_long_story_is_kept_whole_and_the_officers_notice_ends_on_a_word(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    """A 5 000-character message arrives in two, as Telegram's apps send it, and all of it is in
    the petition; the officer's notice is cut at a word, not «…xe máy ngã n» (issue 14 §8)."""
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    lines = await consent(citizen)
    for label in ("Gửi đơn", "Khiếu nại", "Đất đai", "Phú Đình", "Na Mao"):
        lines = await citizen.press(label, lines)
    story = " ".join(f"Đoạn {n}: xe máy ngã ở dốc đầu xóm vì đường sụt lún." for n in range(100))
    assert len(story) > 5000
    noted = await citizen.say(story)
    assert len([line for line in noted if "Đã ghi nhận" in line["text"]]) == 2
    lines = await citizen.press("Xong", noted)
    lines = await citizen.say("Nguyễn Thị Dung")
    lines = await citizen.act({"kind": "contact", "phone": "+84912345678"})
    lines = await citizen.say("Xóm Na Mao, xã Phú Đình")
    await citizen.press("Gửi đơn", lines)
    async with sandbox_app.db.transaction() as session:
        petition = await session.get_one(m.Petition, 1)
    assert " ".join(petition.content.split()) == story, "every word of it, in two parts"

    officer = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    notice = texts(await officer.new_lines())
    shown = notice.split("Đoạn 0:")[1].split("…")[0].split()
    assert shown[-1] in story.split(), f"cut inside a word: {shown[-1]!r}"


async def test_control_characters_are_taken_out_of_what_is_kept(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    """NUL and terminal escape codes are nobody's words, and PostgreSQL refuses NUL in text: a
    story carrying them is filed without them, line breaks kept."""
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    lines = await consent(citizen)
    for label in ("Gửi đơn", "Khiếu nại", "Đất đai", "Phú Đình", "Na Mao"):
        lines = await citizen.press(label, lines)
    lines = await citizen.say("Đất\x00 bị lấn\x1b[31m chiếm\nđã lâu.")
    lines = await citizen.press("Xong", lines)
    lines = await citizen.say("Nguyễn Thị Dung")
    lines = await citizen.act({"kind": "contact", "phone": "+84912345678"})
    lines = await citizen.say("Xóm Na Mao, xã Phú Đình")
    assert "PD-2026-000001" in texts(await citizen.press("Gửi đơn", lines))
    async with sandbox_app.db.transaction() as session:
        petition = await session.get_one(m.Petition, 1)
    assert petition.content == "Đất bị lấn[31m chiếm\nđã lâu."
