"""A public consultation (lấy ý kiến, issue 15) from creation in chat to the published summary,
over the real app with Telegram, Zalo and the sandbox at once, and 30 citizens.

The chairman of Phú Đình creates it in the sandbox (three questions: a choice, a 1-5 scale, free
words), publishes it to two villages; most citizens answer through the service, six through the
messengers (one resumes after /start, one changes an answer, two stop half way); the reminder the
day before closing reaches exactly those who did not finish; opinions are marked with replies;
the summary reaches everyone who answered; the figures the chairman reads, the chart's data and
the XLSX equal the answers given. An anonymous consultation keeps no link from answer to person.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import openpyxl
import pytest
from sqlalchemy import inspect as table_inspect
from sqlalchemy import select

from bot.app import Application
from bot.buttons import ConsultationAction, ConsultationCard, ConsultationStaff
from bot.domain.consultations import Question, QuestionKind
from bot.reporting.charts import option_counts_figure
from bot.services.consultations import (
    ConsultationPlan,
    ConsultationRefused,
    chart_counts,
    join,
    publish_consultation,
    results,
    submit,
)
from storage import models as m
from storage.repository import SqlStore
from tests.conftest import FakeClock, make_settings, run_due_jobs
from tests.fake_telegram import DEFAULT_TOKEN as TELEGRAM_TOKEN
from tests.fake_telegram import FakeTelegram, SimUser
from tests.fake_telegram import Reply as TelegramReply
from tests.fake_zalo import DEFAULT_TOKEN as ZALO_TOKEN
from tests.fake_zalo import FakeZalo, FakeZaloUser, Sent
from tests.sandbox_client import SandboxPerson, labels, texts
from tests.test_filing_sandbox import consent as sandbox_consent
from tests.test_report_chat import sent_files
from tests.test_telegram import consent as telegram_consent
from tests.test_telegram import invite_code
from tests.test_zalo import VI, number_of

TITLE = "Dự thảo quy ước xóm về giữ gìn vệ sinh đường làng"
SUMMARY = "Xã đề xuất mỗi hộ tự quét đoạn đường trước nhà vào sáng chủ nhật hằng tuần."
Q1 = "Ông/bà có đồng ý với dự thảo không?"
Q1_OPTIONS = ("Đồng ý", "Không đồng ý", "Ý kiến khác")
Q2 = "Ông/bà đánh giá mức cần thiết của quy ước?"
Q3 = "Ông/bà có đề xuất gì thêm?"
VILLAGES = {"PD-NM": "Xóm Na Mao", "PD-BT": "Xóm Bản Trang"}
# Closes at the end of Friday 6 March 2026 in Hà Nội: 17:00 UTC on the 6th.
CLOSES_AT = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
DAY_BEFORE = datetime(2026, 3, 5, 17, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
INJECTION = '=HYPERLINK("http://x") cần làm rãnh thoát nước'
SERVICE_PEOPLE = 24  # answer through the service; the last three only start
Result = TypeVar("Result")


@pytest.fixture
async def app(
    tmp_path: Path, telegram: FakeTelegram, zalo: FakeZalo, clock: FakeClock
) -> AsyncIterator[Application]:
    """The app on Telegram, Zalo and the sandbox at once."""
    settings = make_settings(
        tmp_path,
        sandbox=True,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_api_url=telegram.api_url,
        zalo_bot_token=ZALO_TOKEN,
        zalo_api_url=zalo.api_url,
        outbox_per_chat_rate=1000,
        outbox_global_rate=1000,
    )
    application = Application(settings, clock=clock)
    await application.start()
    try:
        yield application
    finally:
        await application.stop()


async def in_store(app: Application, work: Callable[[SqlStore], Awaitable[Result]]) -> Result:
    async with app.db.transaction() as session:
        return await work(SqlStore(session))


async def citizen_of(app: Application, channel: str, chat: str) -> int:
    async with app.db.transaction() as session:
        found = await session.scalar(
            select(m.Citizen.id).where(m.Citizen.channel == channel, m.Citizen.chat_id == chat)
        )
        assert found is not None
        return found


async def follow(app: Application, citizen_id: int, place: str) -> None:
    await in_store(app, lambda store: store.subscribe(citizen_id, place, app.clock()))


async def service_citizen(app: Application, number: int, place: str) -> int:
    """A citizen of the sandbox who agreed to the notice and follows a village."""

    async def make(store: SqlStore) -> int:
        citizen = await store.ensure_citizen(
            "sandbox", f"svc-{number}", f"svc-{number}", app.clock()
        )
        await store.record_consent(citizen.id, app.clock())
        await store.subscribe(citizen.id, place, app.clock())
        return citizen.id

    return await in_store(app, make)


async def reply_with(user: SimUser, words: str) -> TelegramReply:
    """The next Telegram message that says `words` (those before it are read past)."""
    for _ in range(10):
        reply = await user.next_reply()
        if words in (reply.text or ""):
            return reply
    raise AssertionError(f"no message with {words!r}")


async def zalo_with(user: FakeZaloUser, words: str) -> Sent:
    """The next Zalo message that says `words`."""
    for _ in range(10):
        message = await user.next_reply()
        if words in message.text:
            return message
    raise AssertionError(f"no message with {words!r}")


async def zalo_choose(user: FakeZaloUser, message: Sent, label: str, then: str) -> Sent:
    """Type the number of an option, and read up to the message that says `then`."""
    await user.send_text(number_of(message, label))
    return await zalo_with(user, then)


async def create_in_sandbox(chairman: SandboxPerson) -> None:
    """The whole creation conversation, with a refusal, a preview and «Công bố»."""
    home = await chairman.press("Lấy ý kiến", await chairman.say("/menu"))
    assert "Chưa có đợt lấy ý kiến nào" in texts(home)
    lines = await chairman.press("Tạo đợt lấy ý kiến", home)
    assert "Tiêu đề" in texts(lines)
    assert "từ 5 đến 300 ký tự" in texts(await chairman.say("Quy"))
    await chairman.say(TITLE)
    lines = await chairman.say(SUMMARY)
    assert "PDF hoặc ảnh" in texts(lines)
    assert "Chỉ nhận tệp PDF hoặc ảnh" in texts(await chairman.say("không"))
    lines = await chairman.upload(PDF, "du-thao-quy-uoc.pdf", "application/pdf")
    assert "Xóm Na Mao" in labels(lines) and "Xóm Đồng Chẽ" not in labels(lines), "Phú Đình only"
    lines = await chairman.press("Xóm Na Mao", lines)
    lines = await chairman.press("Xóm Bản Trang", lines)
    lines = await chairman.press("Xong", lines)
    assert "đã qua" in texts(await chairman.say("01/03/2026"))
    await chairman.say("02/03/2026")
    lines = await chairman.say("06/03/2026")
    lines = await chairman.press("Chọn một ý", lines)
    await chairman.say(Q1)
    lines = await chairman.say("; ".join(Q1_OPTIONS))
    lines = await chairman.press("Thang điểm 1-5", lines)
    lines = await chairman.say(Q2)
    lines = await chairman.press("Ý kiến tự do", lines)
    await chairman.say(Q3)
    assert "Cần một số từ 50 đến 2000" in texts(await chairman.say("10"))
    lines = await chairman.say("200")
    lines = await chairman.press("Đủ câu hỏi", lines)
    review = await chairman.press("Có ghi tên", lines)
    shown = texts(review)
    assert all(part in shown for part in (TITLE, SUMMARY, "Xóm Na Mao", "Xóm Bản Trang"))
    assert all(part in shown for part in (Q1, Q2, Q3, "06/03/2026", "Có kèm dự thảo"))
    preview = texts(await chairman.press("Xem trước", review))
    assert "Lấy ý kiến người dân" in preview and "Câu 3/3: " + Q3 in preview
    done = texts(await chairman.press("Công bố", await chairman.new_lines() or review))
    assert "Đã công bố đợt lấy ý kiến" in done


# What each citizen finally answered: village, the choice's index, the scale, the words.
Answer = tuple[str, str, str, str]


def service_answer(number: int) -> Answer:
    village = "PD-NM" if number % 2 == 0 else "PD-BT"
    words = f"Ý kiến số {number}: nên có lịch cụ thể" if number % 4 == 0 else ""
    return village, str(number % 3), str(1 + number % 5), words


async def test_a_consultation_from_creation_to_summary_with_thirty_citizens(
    app: Application,
    telegram: FakeTelegram,
    zalo: FakeZalo,
    http: aiohttp.ClientSession,
    clock: FakeClock,
) -> None:
    final: dict[str, Answer] = {}  # by a name for each citizen who finished

    # Those who will hear of it: six on the messengers, 24 answering through the service.
    tg1, tg2 = telegram.user(1001, "Lan"), telegram.user(1002, "Minh")
    for user in (tg1, tg2):
        await telegram_consent(user)
    zl1, zl2 = zalo.user("z-1"), zalo.user("z-2")
    for zalo_user in (zl1, zl2):
        await zalo_user.send_text("/start")
        await zalo_user.next_reply()
        await zalo_user.send_text("1")  # «Tôi đồng ý»
        await zalo_user.next_reply()
    sb1, sb2 = SandboxPerson(app, http, "citizen-1"), SandboxPerson(app, http, "citizen-2")
    for person in (sb1, sb2):
        await sandbox_consent(person)
    outsider = SandboxPerson(app, http, "citizen-3")
    await sandbox_consent(outsider)
    await follow(app, await citizen_of(app, "sandbox", "citizen-3"), "TS")
    for channel, chat, place in (
        ("telegram", "1001", "PD-NM"),
        ("telegram", "1002", "PD-BT"),
        ("zalo", "z-1", "PD-NM"),
        ("zalo", "z-2", "PD"),  # the whole commune hears of a village's consultation
        ("sandbox", "citizen-1", "PD-BT"),
        ("sandbox", "citizen-2", "PD-NM"),
    ):
        await follow(app, await citizen_of(app, channel, chat), place)
    service_ids = [
        await service_citizen(app, n, "PD-NM" if n % 2 == 0 else "PD-BT")
        for n in range(SERVICE_PEOPLE)
    ]

    chairman = SandboxPerson(app, http, "officer-pd.chutich")
    # With real messengers on, officers' sandbox chats are bound by invite, as anywhere else.
    bound = texts(await chairman.say(f"/start {await invite_code(app, 'pd.chutich')}"))
    assert "đã được liên kết" in bound
    await create_in_sandbox(chairman)
    await run_due_jobs(app)

    # --- the announcement, and answers on Telegram -------------------------------------------
    announced = await reply_with(tg1, "Lấy ý kiến người dân")
    assert TITLE in (announced.text or "") and "✍️ Trả lời" in announced.button_texts
    await tg1.press("✍️ Trả lời")
    await reply_with(tg1, "thôn, xóm")
    await tg1.press("Xóm Na Mao")
    await reply_with(tg1, "Câu 1/3")
    await tg1.press("Đồng ý")
    await reply_with(tg1, "Câu 2/3")
    await tg1.press("4")
    await reply_with(tg1, "Câu 3/3")
    await tg1.send_text("Cần thêm đèn đường ở ngõ 3")
    review = await reply_with(tg1, "kiểm tra lại")
    assert "Cần thêm đèn đường ở ngõ 3" in (review.text or "")
    await tg1.press("📨 Gửi ý kiến")
    await reply_with(tg1, "Cảm ơn ông/bà")
    final["tg1"] = ("PD-NM", "0", "4", "Cần thêm đèn đường ở ngõ 3")

    # Minh stops after the first question, and resumes after /start.
    await reply_with(tg2, "Lấy ý kiến người dân")
    await tg2.press("✍️ Trả lời")
    await reply_with(tg2, "thôn, xóm")
    await tg2.press("Xóm Bản Trang")
    await reply_with(tg2, "Câu 1/3")
    await tg2.press("Không đồng ý")
    await reply_with(tg2, "Câu 2/3")
    await tg2.send_command("/start")
    offered = await reply_with(tg2, "đang làm dở")
    assert "Làm tiếp" in " ".join(offered.button_texts)
    await tg2.press("▶️ Làm tiếp")
    again = await reply_with(tg2, "Câu 2/3")
    assert "2 · " not in (again.text or "")
    await tg2.press("2")
    await reply_with(tg2, "Câu 3/3")
    await tg2.press("⏭ Bỏ qua")
    await reply_with(tg2, "kiểm tra lại")
    await tg2.press("📨 Gửi ý kiến")
    await reply_with(tg2, "Cảm ơn ông/bà")
    final["tg2"] = ("PD-BT", "1", "2", "")

    # --- Zalo: found from the menu, every choice typed as its number -------------------------
    await zalo_with(zl1, "Lấy ý kiến người dân")
    await zl1.send_text("/menu")
    menu = await zalo_with(zl1, "1. ")
    listed = await zalo_choose(zl1, menu, VI("menu.consult"), "đang mở")
    page = await zalo_choose(zl1, listed, TITLE[:30], TITLE)
    asked = await zalo_choose(zl1, page, VI("consult.answer"), "thôn, xóm")
    question = await zalo_choose(zl1, asked, "Xóm Na Mao", "Câu 1/3")
    question = await zalo_choose(zl1, question, "Đồng ý", "Câu 2/3")
    await zl1.send_text("5")
    await zalo_with(zl1, "Câu 3/3")
    await zl1.send_text("Nên phạt hộ không quét")
    review_zalo = await zalo_with(zl1, "kiểm tra lại")
    await zalo_choose(zl1, review_zalo, "📨 Gửi ý kiến", "Cảm ơn ông/bà")
    # ... and changes the first answer the next day: the earlier answers are shown.
    clock.advance(days=1)
    await zl1.send_text("Lấy ý kiến")
    listed = await zalo_with(zl1, "đang mở")
    page = await zalo_choose(zl1, listed, TITLE[:30], TITLE)
    await zl1.send_text(number_of(page, VI("consult.answer")))
    assert "đã gửi ý kiến" in (await zalo_with(zl1, "sửa câu trả lời")).text
    asked = await zalo_with(zl1, "thôn, xóm")
    question = await zalo_choose(zl1, asked, "Xóm Na Mao", "Câu 1/3")
    assert "Lần trước ông/bà trả lời: Đồng ý" in question.text
    question = await zalo_choose(zl1, question, "Không đồng ý", "Câu 2/3")
    await zl1.send_text("5")
    third = await zalo_with(zl1, "Câu 3/3")
    assert "Nên phạt hộ không quét" in third.text
    await zl1.send_text("Nên phạt hộ không quét")
    review_zalo = await zalo_with(zl1, "kiểm tra lại")
    await zalo_choose(zl1, review_zalo, "📨 Gửi ý kiến", "Cảm ơn ông/bà")
    final["zl1"] = ("PD-NM", "1", "5", "Nên phạt hộ không quét")

    # The second Zalo citizen answers one question and leaves for the menu.
    await zalo_with(zl2, "Lấy ý kiến người dân")
    await zl2.send_text("Lấy ý kiến")
    listed = await zalo_with(zl2, "đang mở")
    page = await zalo_choose(zl2, listed, TITLE[:30], TITLE)
    asked = await zalo_choose(zl2, page, VI("consult.answer"), "thôn, xóm")
    question = await zalo_choose(zl2, asked, "Xóm Bản Trang", "Câu 1/3")
    await zalo_choose(zl2, question, "Ý kiến khác", "Câu 2/3")
    await zl2.send_text("/menu")
    await zalo_with(zl2, "1. ")

    # --- the sandbox: the draft document, and two full answers ------------------------------
    menu_lines = await sb1.say("/menu")
    listed_lines = await sb1.press("Lấy ý kiến", menu_lines)
    page_lines = await sb1.press(TITLE[:30], listed_lines)
    document = await sb1.press("Xem dự thảo", page_lines)
    assert any(line.get("document") == "du-thao-quy-uoc.pdf" for line in document)
    lines = await sb1.press("Trả lời", page_lines)
    lines = await sb1.press("Xóm Bản Trang", lines)
    lines = await sb1.press("Ý kiến khác", lines)
    lines = await sb1.press("3", lines)
    lines = await sb1.say(INJECTION)
    assert "kiểm tra lại" in texts(lines)
    assert "Cảm ơn ông/bà" in texts(await sb1.press("Gửi ý kiến", lines))
    final["sb1"] = ("PD-BT", "2", "3", INJECTION)

    lines = await sb2.press("Trả lời", await sb2.new_lines())  # the announcement
    lines = await sb2.press("Xóm Na Mao", lines)
    lines = await sb2.press("Đồng ý", lines)
    lines = await sb2.press("5", lines)
    assert "tối đa 200 ký tự" in texts(lines)
    assert "quá giới hạn 200" in texts(await sb2.say("x" * 201))
    lines = await sb2.press("Quay lại", lines)  # back to the scale, to change it
    assert "Câu 2/3" in texts(lines) and "Lần trước ông/bà trả lời: 5" in texts(lines)
    lines = await sb2.press("1", lines)
    lines = await sb2.press("Bỏ qua", lines)
    assert "Cảm ơn ông/bà" in texts(await sb2.press("Gửi ý kiến", lines))
    final["sb2"] = ("PD-NM", "0", "1", "")

    # --- 24 more through the service; the last three only start ------------------------------
    consultation_id = 1
    for number, citizen_id in enumerate(service_ids):
        village, choice, point, words = service_answer(number)
        now = app.clock()
        if number >= SERVICE_PEOPLE - 3:
            await in_store(
                app, lambda s, c=citizen_id, v=village: join(s, app.env, 1, c, v, app.clock())
            )
            continue
        answers = {0: [choice], 1: [point], 2: [words] if words else []}
        await in_store(
            app,
            lambda s, c=citizen_id, v=village, a=answers, t=now: submit(
                s, app.env, consultation_id, c, v, a, t
            ),
        )
        final[f"svc-{number}"] = (village, choice, point, words)
    assert len(final) == 26

    # --- the reminder the day before it closes: exactly those who did not finish ------------
    clock.now = DAY_BEFORE
    await run_due_jobs(app)
    unfinished = {f"svc-{n}" for n in range(SERVICE_PEOPLE - 3, SERVICE_PEOPLE)} | {"z-2"}
    assert set(await reminded(app)) == unfinished
    reminder = await zalo_with(zl2, "Ông/bà đã bắt đầu trả lời nhưng chưa gửi")
    assert TITLE in reminder.text and "06/03/2026" in reminder.text

    # --- the organiser's figures, the charts and the opinions -------------------------------
    expected_choices = Counter(answer[1] for answer in final.values())
    expected_points = Counter(answer[2] for answer in final.values())
    expected_villages = Counter(answer[0] for answer in final.values())
    opinions = [answer[3] for answer in final.values() if answer[3]]

    card = await chairman.press("Lấy ý kiến", await chairman.say("/menu"))
    card = await chairman.press(TITLE[:30], card)
    assert "Đã gửi ý kiến: 26 người · đang trả lời dở: 4 người" in texts(card)
    figures = await chairman.press("Kết quả", card)
    shown = texts(figures)
    for code, name in VILLAGES.items():
        assert f"• {name}: {expected_villages[code]}" in shown
    for index, option in enumerate(Q1_OPTIONS):
        assert f"• {option}: {expected_choices[str(index)]}" in shown
    for point in "12345":
        assert f"• {point}: {expected_points[point]}" in shown
    assert f"({len(opinions)} người trả lời)" in shown
    charts = [line["document"] for line in figures if line.get("document")]
    assert charts == ["cau-1.png", "cau-2.png"], "a chart per choice or scale question"

    officer = await in_store(app, lambda store: store.officer_by_handle("pd.chutich"))
    assert officer is not None
    found = await in_store(app, lambda store: results(store, app.env, officer, consultation_id))
    choice_chart = chart_counts(found.consultation.questions[0], found.tallies[0])
    assert choice_chart == [(o, expected_choices[str(i)]) for i, o in enumerate(Q1_OPTIONS)]
    scale_chart = chart_counts(found.consultation.questions[1], found.tallies[1])
    assert scale_chart == [(p, expected_points[p]) for p in "12345"]
    figure = option_counts_figure(choice_chart, Q1)
    bars = [patch.get_width() for patch in figure.axes[0].patches]
    assert bars == [count for _, count in choice_chart], "the chart draws these counts"

    listed_opinions = await chairman.press("Ý kiến của người dân", card)
    assert sorted(line["text"] for line in listed_opinions if "«" in line["text"]) != []
    for words in opinions:
        assert words in texts(listed_opinions)
    lamp = next(line for line in listed_opinions if "đèn đường" in line["text"])
    fine = next(line for line in listed_opinions if "Nên phạt" in line["text"])
    lines = await chairman.press("Tiếp thu", [lamp])
    done = await chairman.say("Xã sẽ lắp 5 bóng đèn ở ngõ 3 trong quý II.")
    assert "Đã ghi" in texts(done)
    lines = await chairman.press("Giải trình", [fine])
    done = await chairman.say("Quy ước khuyến khích, không đặt ra mức phạt.")
    assert "Đã ghi" in texts(done)

    # --- closed: the summary with the two replies reaches every participant -----------------
    clock.now = CLOSES_AT
    assert "không còn nhận ý kiến" in texts(await sb2.press("Trả lời", lines_of_consultation(1)))
    card = await chairman.press("Lấy ý kiến", await chairman.say("/menu"))
    card = await chairman.press(TITLE[:30], card)
    lines = await chairman.press("Công bố kết quả", card)
    lines = await chairman.say("Đa số người dân đồng ý; quy ước được thông qua.")
    assert "sẽ được gửi tới 26 người" in texts(lines)
    assert "Xã sẽ lắp 5 bóng đèn" in texts(lines)
    assert "Đã công bố kết quả" in texts(await chairman.press("Gửi kết quả", lines))
    await run_due_jobs(app)
    summaries = await reminded(app, "Kết quả lấy ý kiến")
    everyone = {f"svc-{n}" for n in range(SERVICE_PEOPLE - 3)} | {
        "1001",
        "1002",
        "z-1",
        "citizen-1",
        "citizen-2",
    }
    assert set(summaries) == everyone
    told = (await reply_with(tg1, "Kết quả lấy ý kiến")).text or ""
    assert "Xã sẽ lắp 5 bóng đèn ở ngõ 3 trong quý II." in told
    assert "Quy ước khuyến khích, không đặt ra mức phạt." in told
    assert "Số người gửi ý kiến: 26" in told

    # --- the export: the same figures, the opinions, no formula ------------------------------
    await chairman.press("Xuất Excel", card)
    sent = await sent_files(app, "officer-pd.chutich")  # a report's draft may be there too
    [(name, data)] = [f for f in sent if f[0].startswith("lay-y-kien")]
    assert name == "lay-y-kien-1.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    rows = [[cell.value for cell in row] for row in book["Số liệu"].iter_rows()]
    counted = {(row[0], row[1]): row[2] for row in rows[3:]}
    for index, option in enumerate(Q1_OPTIONS):
        assert counted[f"1. {Q1}", option] == expected_choices[str(index)]
    for point in "12345":
        assert counted[f"2. {Q2}", point] == expected_points[point]
    assert counted[f"3. {Q3}", "Số người trả lời"] == len(opinions)
    villages = {
        row[0]: row[1] for row in book["Theo thôn, xóm"].iter_rows(min_row=2, values_only=True)
    }
    assert villages == {VILLAGES[code]: count for code, count in expected_villages.items()}
    sheet = list(book["Ý kiến"].iter_rows(min_row=2, values_only=True))
    assert sorted(row[1] for row in sheet) == sorted(
        "'" + words if words.startswith("=") else words for words in opinions
    )
    marked = {row[1]: (row[3], row[4]) for row in sheet}
    assert marked["Cần thêm đèn đường ở ngõ 3"] == (
        "✅ Tiếp thu",
        "Xã sẽ lắp 5 bóng đèn ở ngõ 3 trong quý II.",
    )


async def reminded(app: Application, words: str = "đã bắt đầu trả lời nhưng chưa gửi") -> list[str]:
    """The citizens' chats queued a message saying `words` (not the officer's own preview)."""
    async with app.db.transaction() as session:
        rows = await session.execute(select(m.OutboxMessage.chat_id, m.OutboxMessage.payload))
        return [
            chat
            for chat, payload in rows
            if words in (payload.get("text") or "") and not chat.startswith("officer-")
        ]


# --- anonymous ---------------------------------------------------------------------------------


async def test_an_anonymous_consultation_stores_no_link_from_answer_to_person(
    app: Application, http: aiohttp.ClientSession
) -> None:
    async def publish(store: SqlStore) -> int:
        chairman = await store.officer_by_handle("pd.chutich")
        assert chairman is not None
        plan = ConsultationPlan(
            title="Ý kiến về điểm tập kết rác",
            summary="Chọn vị trí đặt điểm tập kết rác của xóm.",
            document=None,
            audience=("PD-NM",),
            opens_on=app.clock().date(),
            closes_on=app.clock().date(),
            questions=(
                Question("Vị trí nào phù hợp?", QuestionKind.MANY, ("Đầu xóm", "Cuối xóm")),
                Question("Ý kiến khác?", QuestionKind.TEXT, (), 100),
            ),
            anonymous=True,
        )
        return await publish_consultation(store, app.env, chairman, plan, app.clock())

    people = [SandboxPerson(app, http, f"citizen-{n}") for n in (1, 2, 3)]
    for person in people:
        await sandbox_consent(person)
    ids = [await citizen_of(app, "sandbox", f"citizen-{n}") for n in (1, 2, 3)]
    for citizen_id in ids:
        await follow(app, citizen_id, "PD-NM")
    consultation_id = await in_store(app, publish)
    await run_due_jobs(app)

    # One answers in chat: several options marked, then words.
    lines = await people[0].press("Trả lời", await people[0].new_lines())
    lines = await people[0].press("Xóm Na Mao", lines)
    lines = await people[0].press("Đầu xóm", lines)
    lines = await people[0].press("Cuối xóm", lines)
    assert "✅ Đầu xóm" in labels(lines) and "✅ Cuối xóm" in labels(lines)
    lines = await people[0].press("Tiếp", lines)
    lines = await people[0].say("Không đặt gần trường học")
    assert "không sửa lại được" in texts(await people[0].press("Gửi ý kiến", lines))
    # The others through the service; answering again is refused.
    for citizen_id, words in zip(ids[1:], ("Gần chợ", ""), strict=True):
        answers = {0: ["1"], 1: [words] if words else []}
        await in_store(
            app,
            lambda s, c=citizen_id, a=answers: submit(
                s, app.env, consultation_id, c, "PD-NM", a, app.clock()
            ),
        )
    with pytest.raises(ConsultationRefused):
        await in_store(
            app,
            lambda s: submit(s, app.env, consultation_id, ids[1], "PD-NM", {0: ["0"]}, app.clock()),
        )
    refused = await people[0].press("Trả lời", lines_of_consultation(consultation_id))
    assert "không sửa lại được" in texts(refused)

    # Read the tables: who took part is known, which answers are theirs is not.
    async with app.db.transaction() as session:
        sets = list(await session.scalars(select(m.ConsultationAnswerSet)))
        kept = list(await session.scalars(select(m.ConsultationAnswer)))
        participants = list(await session.scalars(select(m.ConsultationParticipant)))
        columns = {
            table: {
                c["name"]
                for c in await session.run_sync(
                    lambda s, t=table: table_inspect(s.connection()).get_columns(t)
                )
            }
            for table in (
                "consultation_answer_sets",
                "consultation_answers",
                "consultation_participants",
            )
        }
    assert len(sets) == 3 and len(participants) == 3
    assert all(s.citizen_id is None and s.village is None and s.submitted_at is None for s in sets)
    assert sorted(p.citizen_id for p in participants) == sorted(ids)
    assert all(p.finished for p in participants)
    assert "answer_set_id" not in columns["consultation_participants"]
    assert not {"citizen_id", "village", "submitted_at"} - columns["consultation_answer_sets"]
    assert not {c for c in columns["consultation_answers"] if "citizen" in c or "participant" in c}
    assert all(len(s.id) == 32 for s in sets), "random ids: no order to match with participants"
    texts_kept = sorted(a.value for a in kept if a.question == 1)
    assert texts_kept == ["Gần chợ", "Không đặt gần trường học"]
    # The conversation that answered holds no draft any more.
    async with app.db.transaction() as session:
        conversation = await session.scalar(
            select(m.Conversation).where(m.Conversation.chat_id == "citizen-1")
        )
        assert conversation is not None and "consulting" not in (conversation.data or {})


def lines_of_consultation(consultation_id: int) -> list[dict[str, Any]]:
    """A stand-in line with a consultation's «Trả lời», as an old announcement has it."""
    data = ConsultationAction(consultation_id, "ans").pack()
    return [{"id": 0, "text": "", "buttons": [[{"text": "✍️ Trả lời", "data": data}]]}]


async def test_only_heads_and_admins_of_the_committee_may_organise_or_read_the_answers(
    app: Application, http: aiohttp.ClientSession
) -> None:
    async def publish(store: SqlStore) -> int:
        chairman = await store.officer_by_handle("pd.chutich")
        assert chairman is not None
        plan = ConsultationPlan(
            title="Lịch thu gom rác",
            summary="Thu gom rác vào thứ ba và thứ sáu.",
            document=None,
            audience=("PD-NM",),
            opens_on=app.clock().date(),
            closes_on=app.clock().date(),
            questions=(Question("Đồng ý không?", QuestionKind.ONE, ("Có", "Không")),),
            anonymous=False,
        )
        return await publish_consultation(store, app.env, chairman, plan, app.clock())

    consultation_id = await in_store(app, publish)
    citizen = SandboxPerson(app, http, "citizen-1")
    await sandbox_consent(citizen)
    card = ConsultationCard(consultation_id, "export").pack()
    assert "dành cho cán bộ" in texts(await citizen.act({"kind": "callback", "data": card}))
    for handle in ("pd.tiepdan", "ts.chutich"):  # reception staff; another commune's chairman
        officer = SandboxPerson(app, http, f"officer-{handle}")
        await officer.say(f"/start {await invite_code(app, handle)}")
        menu = await officer.say("/menu")
        if handle == "pd.tiepdan":
            assert not any("Lấy ý kiến" in label for label in labels(menu))
            new = ConsultationStaff("new").pack()
            refused = await officer.act({"kind": "callback", "data": new})
            assert "không có quyền" in texts(refused)
        refused = await officer.act({"kind": "callback", "data": card})
        assert "không có quyền" in texts(refused)
    assert await sent_files(app, "officer-ts.chutich") == []
