"""Files across messengers: answer documents reach Zalo as signed links, Zalo photos reach a
Telegram officer as uploads, and the links cannot be forged, stretched or walked out of."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import icalendar
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import Application
from bot.core import Reply
from bot.files import LocalFiles
from storage import models as m
from tests.conftest import START, FakeClock
from tests.fake_telegram import DEFAULT_TOKEN as TELEGRAM_TOKEN
from tests.fake_telegram import FakeTelegram, tiny_png
from tests.fake_zalo import FakeZalo
from tests.test_telegram import bind_officer
from tests.test_zalo import file_complaint_over_zalo, zalo_settings

PDF = b"%PDF-1.4 quyet dinh 12"


@pytest.fixture
async def zalo_cdn() -> AsyncIterator[str]:
    """Where Zalo keeps the photos users send (their URL is the file's id)."""
    photos = {"ranh-gioi.jpg": tiny_png(4, 3)}

    async def photo(request: web.Request) -> web.Response:
        return web.Response(body=photos[request.match_info["name"]], content_type="image/png")

    app = web.Application()
    app.router.add_get("/photos/{name}", photo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/photos"
    finally:
        await runner.cleanup()


@pytest.fixture
async def both(
    tmp_path: Path, zalo: FakeZalo, telegram: FakeTelegram, clock: FakeClock
) -> AsyncIterator[Application]:
    settings = zalo_settings(
        tmp_path, zalo, telegram_bot_token=TELEGRAM_TOKEN, telegram_api_url=telegram.api_url
    )
    app = Application(settings, clock=clock)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


async def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.read(), dict(response.headers)


def link_in(text: str) -> str:
    """The URL on the line after the file's name."""
    return next(line for line in text.splitlines() if line.startswith("http"))


async def test_an_answer_document_from_telegram_reaches_a_zalo_citizen_as_a_link(
    both: Application, zalo: FakeZalo, telegram: FakeTelegram
) -> None:
    officer = telegram.user(5001, "Mai")
    await bind_officer(both, officer, "pd.tiepdan")
    chairman = telegram.user(5003, "Hải")  # who signs the decision (LEGAL §9)
    await bind_officer(both, chairman, "pd.chutich")
    citizen = zalo.user("citizen-1")
    await file_complaint_over_zalo(citizen)
    await officer.next_reply()
    await officer.press("📂 Mở đơn")
    await officer.next_reply()
    await officer.press("✅ Thụ lý")
    assert "Thụ lý đơn" in (await officer.next_reply()).text  # asked once
    await officer.press("✅ Xác nhận")
    await officer.next_reply()
    await citizen.next_reply()

    await officer.press_data("op:1")
    await officer.next_reply()
    await officer.press("📨 Trả lời / ra quyết định")
    await officer.next_reply()
    await officer.press("Có đúng, có sai")
    await officer.next_reply()
    await officer.send_text("Quyết định số 12/QĐ-UBND: công nhận một phần.")
    await officer.next_reply()
    await officer.send_document(PDF, "quyet-dinh-12.pdf", "application/pdf")
    await officer.next_reply()
    await officer.press("📨 Gửi trả lời")
    assert "Đã trình lãnh đạo duyệt" in (await officer.next_reply()).text
    assert "chờ đồng chí duyệt" in (await chairman.next_reply()).text
    await chairman.press("✅ Duyệt và gửi công dân")
    assert "Đã gửi trả lời" in (await chairman.next_reply()).text

    answer = await citizen.next_reply()
    assert "Quyết định số 12/QĐ-UBND" in answer.text
    assert "📎 quyet-dinh-12.pdf:" in answer.text
    assert "\n1. ⭐\n" in answer.text, "the rating choices follow the link"
    status, body, headers = await fetch(link_in(answer.text))
    assert (status, body) == (200, PDF)
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_a_zalo_citizens_photo_reaches_a_telegram_officer(
    both: Application, zalo: FakeZalo, telegram: FakeTelegram, zalo_cdn: str
) -> None:
    officer = telegram.user(5001, "Mai")
    await bind_officer(both, officer, "pd.tiepdan")
    # The CDN's URLs carry a signature: longer than the 255 characters a file id used to get.
    signed = f"{zalo_cdn}/ranh-gioi.jpg?exp=1795000000&sig={hashlib.sha256(b'x').hexdigest() * 5}"
    await file_complaint_over_zalo(zalo.user("citizen-2"), photo_url=signed)
    await officer.next_reply()
    await officer.press("📂 Mở đơn")
    card = await officer.next_reply()
    assert "📎 Xem tệp đính kèm (1)" in card.button_texts

    await officer.press("📎 Xem tệp đính kèm (1)")
    shown = await officer.next_reply()
    assert shown.text is not None and "Đơn PD-2026-000001, tệp 1" in shown.text
    assert shown.photo is not None and shown.photo.data == tiny_png(4, 3)
    async with both.db.transaction() as session:
        audited = await session.scalar(
            select(m.AuditEntry.action).where(m.AuditEntry.action == "petition.files_viewed")
        )
    assert audited == "petition.files_viewed"


async def test_another_communes_officer_cannot_see_the_files(
    both: Application, zalo: FakeZalo, telegram: FakeTelegram, zalo_cdn: str
) -> None:
    stranger = telegram.user(5009, "Khác")
    await bind_officer(both, stranger, "ts.tiepdan")
    await file_complaint_over_zalo(zalo.user("citizen-3"), photo_url=f"{zalo_cdn}/ranh-gioi.jpg")
    before = len(telegram.sent_messages(5009))
    await stranger.press_data("pf:1")
    refused = await stranger.next_reply()
    assert refused.photo is None and refused.text is not None and "PD-2026" not in refused.text
    assert all(message.photo is None for message in telegram.sent_messages(5009)[before:])


async def test_generated_documents_go_to_zalo_as_a_link_or_a_photo(
    both: Application, zalo: FakeZalo
) -> None:
    assert both.zalo is not None
    zalo.user("citizen-4")
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//test//")
    event = icalendar.Event()
    event.add("summary", "Đối thoại về đất đai")
    calendar.add_component(event)
    ics = calendar.to_ical()
    await both.zalo.send(
        "citizen-4",
        Reply(
            "Ông/bà đã đăng ký.",
            document_data=base64.b64encode(ics).decode(),
            document_name="doi-thoai.ics",
        ),
    )
    message = zalo.sent_to("citizen-4")[-1]
    assert "📎 doi-thoai.ics:" in message.text
    status, body, _headers = await fetch(link_in(message.text))
    parsed = icalendar.Calendar.from_ical(body)
    assert status == 200 and parsed.walk("VEVENT")[0]["SUMMARY"] == "Đối thoại về đất đai"

    chart = tiny_png(8, 6)
    await both.zalo.send(
        "citizen-4",
        Reply("", document_data=base64.b64encode(chart).decode(), document_name="bieu-do.png"),
    )
    photo = zalo.sent_to("citizen-4")[-1].photo
    assert photo is not None
    status, body, headers = await fetch(photo)
    assert (status, body, headers["Content-Type"]) == (200, chart, "image/png")


# --- the links themselves -----------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> LocalFiles:
    local = LocalFiles(None, None, tmp_path, b"k" * 32, timedelta(days=30))  # type: ignore[arg-type]
    local.base_url = "https://tiepdan.example.vn"
    return local


def token_of(url: str) -> str:
    return url.split("/files/")[1].split("/")[0]


def test_a_link_serves_its_file_until_it_expires(files: LocalFiles) -> None:
    path = files.keep_generated(b"noi dung", "bien-ban.pdf")
    url = files.link(path, "Biên bản số 2.pdf", START)
    assert url.startswith("https://tiepdan.example.vn/files/")
    assert url.endswith("/bien-ban-so-2.pdf")
    assert files.resolve(token_of(url), START + timedelta(days=29)) == path.resolve()
    assert files.resolve(token_of(url), START + timedelta(days=31)) is None
    assert files.keep_generated(b"noi dung", "khac.pdf") == path, "one copy per content"


def test_a_forged_or_altered_link_serves_nothing(files: LocalFiles, tmp_path: Path) -> None:
    path = files.keep_generated(b"noi dung", "a.pdf")
    body, _, signature = token_of(files.link(path, "a.pdf", START)).partition(".")
    assert files.resolve(f"{body}.{signature[:-1]}A", START) is None
    stretched = base64.urlsafe_b64encode(
        f"{path.relative_to(tmp_path)}\n9999999999".encode()
    ).decode()
    assert files.resolve(f"{stretched.rstrip('=')}.{signature}", START) is None
    assert files.resolve("garbage", START) is None
    assert files.resolve("", START) is None


def test_a_signed_path_outside_the_files_folder_is_refused(
    files: LocalFiles, tmp_path: Path
) -> None:
    secret = tmp_path.parent / "secret.txt"
    secret.write_text("mật khẩu")
    body = base64.urlsafe_b64encode(b"../secret.txt\n9999999999").decode().rstrip("=")
    mac = hmac.new(b"k" * 32, body.encode(), hashlib.sha256).digest()[:20]
    signature = base64.urlsafe_b64encode(mac).decode().rstrip("=")
    assert files.resolve(f"{body}.{signature}", START) is None


def test_expired_generated_files_are_purged(files: LocalFiles) -> None:
    old = files.keep_generated(b"cu", "cu.ics")
    assert files.purge_generated(START) == 0
    assert files.purge_generated(START + timedelta(days=400)) == 1
    assert not old.exists()


async def test_a_link_decides_by_the_bytes_whether_it_is_a_picture(
    both: Application, zalo: FakeZalo
) -> None:
    page = both.files.keep_generated(b"<html><script>alert(1)</script>", "x.png")
    status, _body, headers = await fetch(both.files.link(page, "anh.png", START))
    assert status == 200
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"] == "attachment; filename=anh.png"
    expired = both.files.link(page, "anh.png", START - timedelta(days=31))
    assert (await fetch(expired))[0] == 404
