"""Evidence in sight (issue 14 §1): where a citizen said it happened reaches the officer as a pin
on Telegram and as a map link on Zalo and in the sandbox; every file the bot sends opens in the
sandbox (a photo inline, anything else a download); the exports carry the coordinates.

Real stacks throughout: python-telegram-bot against the fake Bot API, the Zalo channel against
the fake Zalo Bot Platform, the sandbox page's own API over HTTP, the export command's files.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import openpyxl
import pytest
from telegram import Bot
from telegram.error import BadRequest

from bot.app import Application, load_organisation, prepare_database
from bot.channels.numbered import with_map_link
from bot.channels.telegram import TelegramChannel, make_bot
from bot.commands.export import ExportRequest, export_and_audit
from bot.core import MapPin, Reply
from bot.i18n import LOCAL_TZ
from storage import models as m
from storage.db import Database
from tests.conftest import FakeClock, make_settings
from tests.fake_telegram import DEFAULT_TOKEN as TELEGRAM_TOKEN
from tests.fake_telegram import FakeTelegram, SimUser, tiny_png
from tests.fake_zalo import FakeZalo
from tests.sandbox_client import SandboxPerson, texts
from tests.test_telegram import bind_officer, finish_complaint, up_to_the_communes
from tests.test_zalo import VI, choose, zalo_settings
from tests.test_zalo_flows import officer_on_zalo

CODE = "PD-2026-000001"
PLACE = (21.79, 105.64)  # where the citizen stands, in Phú Đình
MAP_LINK = "https://www.google.com/maps?q=21.790000,105.640000"
COORDINATES = "21.790000, 105.640000"
PDF = b"%PDF-1.4 so do thua dat"


async def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    """What a browser gets from a link: status, bytes and headers."""
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.read(), dict(response.headers)


async def complaint_with_location_on_telegram(citizen: SimUser) -> str:
    """A land complaint whose place is the citizen's shared location, with a photo."""
    await up_to_the_communes(citizen)
    await citizen.press("Xã Phú Đình")
    await citizen.next_reply()
    await citizen.send_location(*PLACE)
    assert "kể lại sự việc" in ((await citizen.next_reply()).text or "")
    return await finish_complaint(citizen)


# --- The neutral pin -----------------------------------------------------------------------------


def test_a_pin_is_kept_in_the_outbox_and_older_rows_still_read() -> None:
    reply = Reply("📄 Đơn", pin=MapPin(21.79, 105.64, "Vị trí", "Xóm Làng Bẩy"))
    assert Reply.from_json(json.loads(json.dumps(reply.to_json()))) == reply
    older = {key: value for key, value in Reply("Xin chào").to_json().items() if key != "pin"}
    assert Reply.from_json(older).pin is None


def test_where_there_is_no_map_the_pin_is_a_line_and_a_link() -> None:
    pinned = with_map_link(Reply("📄 Đơn", pin=MapPin(*PLACE, "Vị trí", "Xóm Làng Bẩy")))
    assert pinned.text == f"📄 Đơn\n\n📍 Vị trí: Xóm Làng Bẩy\n{MAP_LINK}"
    assert pinned.pin is None


async def test_a_pin_alone_even_at_zero_degrees_goes_to_telegram_as_a_venue(
    telegram: FakeTelegram,
) -> None:
    telegram.user(1001)
    channel = TelegramChannel(make_bot(TELEGRAM_TOKEN, telegram.api_url))
    await channel.open()
    try:
        sent = await channel.send("1001", Reply("", pin=MapPin(0.0, 0.0, "Vị trí")))
    finally:
        await channel.close()
    (venue,) = telegram.sent_messages(1001)
    assert sent.message_id == str(venue.message_id)
    assert venue.location == {"latitude": 0.0, "longitude": 0.0}
    assert venue.venue is not None and venue.venue["address"] == "0.000000, 0.000000"


# --- Telegram: a pin beside the card ------------------------------------------------------------


async def test_an_officer_on_telegram_gets_the_place_as_a_pin_beside_the_card(
    app: Application, telegram: FakeTelegram
) -> None:
    officer = telegram.user(5001, "Mai")
    await bind_officer(app, officer, "pd.tiepdan")
    assert CODE in await complaint_with_location_on_telegram(telegram.user(1001, "Phúc"))
    first_pin = await officer.next_reply()
    assert first_pin.location == {"latitude": PLACE[0], "longitude": PLACE[1]}
    notice = await officer.next_reply()
    assert f"Đơn mới {CODE}" in (notice.text or ""), "the new petition comes with its place"

    await officer.press("📂 Mở đơn")
    pin = await officer.next_reply()
    assert pin.location == {"latitude": PLACE[0], "longitude": PLACE[1]}
    assert pin.venue is not None and CODE in pin.venue["title"]
    assert pin.venue["address"] == COORDINATES, "no village named: the coordinates stand in"
    card = await officer.next_reply()
    assert card.text is not None and f"📄 Đơn {CODE}" in card.text and COORDINATES in card.text
    assert "✅ Thụ lý" in card.button_texts, "the buttons stay on the card, below the pin"

    await officer.press("📎 Xem tệp đính kèm (1)")
    shown = await officer.next_reply()
    assert shown.photo is not None and shown.photo.data == tiny_png()


# --- Zalo: a map link under the card, and the files as links ------------------------------------


@pytest.fixture
async def zalo_and_telegram(
    tmp_path: Path, zalo: FakeZalo, telegram: FakeTelegram, clock: FakeClock
) -> AsyncIterator[Application]:
    settings = zalo_settings(
        tmp_path, zalo, telegram_bot_token=TELEGRAM_TOKEN, telegram_api_url=telegram.api_url
    )
    application = Application(settings, clock=clock)
    await application.start()
    try:
        yield application
    finally:
        await application.stop()


async def test_an_officer_on_zalo_gets_a_map_link_and_opens_the_citizens_photo(
    zalo_and_telegram: Application, zalo: FakeZalo, telegram: FakeTelegram
) -> None:
    officer = await officer_on_zalo(zalo_and_telegram, zalo, "officer-mai", "pd.tiepdan")
    await complaint_with_location_on_telegram(telegram.user(1001, "Phúc"))
    notice = await officer.next_reply()
    assert f"Đơn mới {CODE}" in notice.text

    card = await choose(officer, notice, VI("officer.open"))
    assert f"📍 Vị trí công dân gửi — đơn {CODE}" in card.text
    assert MAP_LINK in card.text.splitlines()
    assert COORDINATES in card.text

    shown = await choose(officer, card, "📎 Xem tệp")
    assert shown.photo is not None, "a photo goes to Zalo by URL: our signed link"
    status, body, headers = await fetch(shown.photo)
    assert (status, body, headers["Content-Type"]) == (200, tiny_png(), "image/png")


# --- The sandbox: a map link, photos inline, every other file a download ------------------------


async def complaint_with_evidence_in_the_sandbox(citizen: SandboxPerson) -> list[dict[str, Any]]:
    """A complaint whose place is a shared location, with a photo and a PDF."""
    lines = await citizen.say("/start")
    lines = await citizen.press("Tôi đã hiểu", lines)
    for label in ("Gửi đơn", "Khiếu nại", "Đất đai", "Phú Đình"):
        lines = await citizen.press(label, lines)
    lines = await citizen.act({"kind": "location", "latitude": PLACE[0], "longitude": PLACE[1]})
    assert "kể lại sự việc" in texts(lines)
    await citizen.say("UBND xã thu hồi 200m2 đất vườn của gia đình tôi mà không có quyết định.")
    await citizen.upload(tiny_png(), "lo-dat.png", "image/png")
    lines = await citizen.upload(PDF, "so-do.pdf", "application/pdf")
    lines = await citizen.press("Xong", lines)
    await citizen.say("Nguyễn Thị Dung")
    await citizen.act({"kind": "contact", "phone": "+84912345678"})
    lines = await citizen.say("Xóm Na Mao, xã Phú Đình")
    return await citizen.press("Gửi đơn", lines)


async def test_a_sandbox_officer_sees_the_place_the_photo_and_downloads_the_pdf(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    receipt = await complaint_with_evidence_in_the_sandbox(
        SandboxPerson(sandbox_app, http, "citizen-1")
    )
    assert CODE in texts(receipt)
    officer = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    card = await officer.press("Mở đơn", await officer.new_lines())
    assert card[-1]["map_link"] == MAP_LINK
    assert card[-1]["place"] == f"📍 Vị trí công dân gửi — đơn {CODE}"

    files = await officer.press("Xem tệp", card)
    photo, pdf = (line for line in files if line["document"])
    assert (photo["document"], photo["image"]) == ("lo-dat.png", True)
    assert (pdf["document"], pdf["image"]) == ("so-do.pdf", False)
    status, body, headers = await fetch(photo["link"])
    assert (status, body, headers["Content-Type"]) == (200, tiny_png(), "image/png")
    status, body, headers = await fetch(pdf["link"])
    assert (status, body) == (200, PDF)
    assert headers["Content-Disposition"] == "attachment; filename=so-do.pdf"


async def test_generated_files_open_in_the_sandbox(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    """A calendar, a report and a chart, as the bot makes them: each one a working link."""
    sandbox = sandbox_app.sandbox
    assert sandbox is not None
    made = {
        "doi-thoai.ics": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        "bao-cao.xlsx": b"PK\x03\x04 not really a workbook",
        "bieu-do.png": tiny_png(8, 6),
    }
    for name, data in made.items():
        encoded = base64.b64encode(data).decode()
        await sandbox.send("citizen-2", Reply("", document_data=encoded, document_name=name))
    lines = await SandboxPerson(sandbox_app, http, "citizen-2").new_lines()
    assert [(line["document"], line["image"]) for line in lines] == [
        ("doi-thoai.ics", False),
        ("bao-cao.xlsx", False),
        ("bieu-do.png", True),
    ]
    for line in lines:
        status, body, _headers = await fetch(line["link"])
        assert (status, body) == (200, made[line["document"]])


# --- Exports: the coordinates as numbers, never a denouncer's ----------------------------------


@pytest.fixture
async def located_petitions(tmp_path: Path) -> AsyncIterator[Database]:
    """A feedback filed with a location, and a denunciation filed with one."""
    database = await prepare_database(make_settings(tmp_path), load_organisation(None))
    received = datetime(2026, 3, 10, 9, tzinfo=LOCAL_TZ)
    common: dict[str, Any] = {
        "unit_code": "PD-VP",
        "field": "giao_thong",
        "state": "received",
        "channel": "telegram",
        "content": "Đường liên xóm bị sạt lở.",
        "received_at": received,
    }
    async with database.transaction() as session:
        session.add_all(
            [
                m.Petition(
                    code="PD-1", kind="phan_anh", latitude=21.79, longitude=105.64, **common
                ),
                m.Petition(
                    code="PD-2", kind="to_cao", latitude=21.881234, longitude=105.6391, **common
                ),
            ]
        )
    try:
        yield database
    finally:
        await database.close()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
async def test_the_export_carries_the_coordinates_but_never_a_denouncers(
    located_petitions: Database, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"march{suffix}"
    request = ExportRequest(date(2026, 3, 1), date(2026, 3, 31), "PD", out)
    now = datetime(2026, 4, 2, 3, tzinfo=UTC)
    org = load_organisation(None)
    assert await export_and_audit(located_petitions, org, request, "cli:tester", now) == 2
    rows = export_rows(out)
    header = rows[0]
    assert header.index("Kinh độ") == header.index("Vĩ độ") + 1
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    feedback, denunciation = by_code["PD-1"], by_code["PD-2"]
    expected = ("21.79", "105.64") if suffix == ".csv" else (21.79, 105.64)
    assert (feedback["Vĩ độ"], feedback["Kinh độ"]) == expected
    assert denunciation["Vĩ độ"] in ("", None) and denunciation["Kinh độ"] in ("", None)


def export_rows(path: Path) -> list[list[Any]]:
    """The rows of an exported CSV or XLSX, as a spreadsheet reads them."""
    if path.suffix == ".csv":
        return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


# --- The fake Bot API refuses what Telegram refuses ---------------------------------------------


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(**telegram.bot_kwargs()) as ptb_bot:
        yield ptb_bot


async def test_the_fake_telegram_takes_places_on_earth_only(
    telegram: FakeTelegram, bot: Bot
) -> None:
    an = telegram.user(1001)
    venue = await bot.send_venue(1001, 21.79, 105.64, "Nơi xảy ra", "Xóm Làng Bẩy")
    assert venue.venue is not None and venue.venue.title == "Nơi xảy ra"
    location = await bot.send_location(1001, -33.86, 151.21)
    assert location.location is not None and location.location.longitude == 151.21
    assert [reply.location for reply in an.replies] == [
        {"latitude": 21.79, "longitude": 105.64},
        {"latitude": -33.86, "longitude": 151.21},
    ]
    for latitude, longitude in ((90.5, 105.0), (21.0, -180.5), (float("nan"), 105.0)):
        with pytest.raises(BadRequest, match=r"(?i)wrong location"):
            await bot.send_location(1001, latitude, longitude)
    url = f"{telegram.base_url}{telegram.token}/sendLocation"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"latitude": 21.79, "longitude": 105.64}) as response:
            assert (response.status, (await response.json())["description"]) == (
                400,
                "Bad Request: chat_id is empty",
            )
        async with http.post(url, json={"chat_id": 1001, "longitude": 105.64}) as response:
            assert (await response.json())["description"] == "Bad Request: latitude is empty"
        no_address = {"chat_id": 1001, "latitude": 0, "longitude": 0, "title": "Nơi xảy ra"}
        send_venue = url.replace("sendLocation", "sendVenue")
        async with http.post(send_venue, json=no_address) as response:
            assert (await response.json())["description"] == "Bad Request: venue address is empty"
    assert len(an.replies) == 2, "nothing refused was delivered"
