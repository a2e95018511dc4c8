"""A satisfaction survey (khảo sát sự hài lòng, issue 15 §5-6) for one period, over the real app
with Telegram, Zalo and the sandbox at once.

Phú Đình answered petitions of ten people in Q1 2026 (two offices) and one in Q4 2025. Its
chairman starts the survey in chat from «Chỉ tiêu» (the quarter, everyone, check, «Gửi phiếu»);
a job invites the ten, once. One answers on Telegram with buttons, one on Zalo with numbers, one
in the sandbox, six through the service; one does not answer. The index per unit and per aspect,
counted by hand here from the answers, is what the indicators say, what the chart draws and what
the report's workbook holds. A second survey of the same period invites nobody again, and the
database refuses a second invitation of a person for a period. Consultations held and their
participation rate join the indicators too.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

import aiohttp
import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.app import Application
from bot.domain.consultations import Question, QuestionKind
from bot.domain.surveys import ASPECTS, SurveyError, aspect_index, load_survey, overall_index
from bot.reporting.charts import satisfaction_figure
from bot.reporting.metrics import Survey
from bot.reporting.periods import preset_period
from bot.services.consultations import (
    ConsultationPlan,
    ConsultationRefused,
    publish_consultation,
    submit,
)
from bot.services.reports import build_report
from bot.services.surveys import chart_indices, survey_standing
from storage import models as m
from storage.repository import SqlStore
from tests.conftest import FakeClock, make_settings, run_due_jobs
from tests.fake_telegram import DEFAULT_TOKEN as TELEGRAM_TOKEN
from tests.fake_telegram import FakeTelegram, SimUser
from tests.fake_zalo import DEFAULT_TOKEN as ZALO_TOKEN
from tests.fake_zalo import FakeZalo
from tests.sandbox_client import SandboxPerson, labels, texts
from tests.test_consultations import citizen_of, in_store, zalo_with
from tests.test_filing_sandbox import consent as sandbox_consent
from tests.test_telegram import consent as telegram_consent
from tests.test_telegram import invite_code
from tests.test_zalo import number_of

Result = TypeVar("Result")
Q1 = preset_period(2026, "Q1")
IN_Q1 = datetime(2026, 2, 10, 3, 0, tzinfo=UTC)
IN_Q4 = datetime(2025, 11, 10, 3, 0, tzinfo=UTC)
TEMPLATE = load_survey()
# The five scale questions (access, procedures, officers, results, overall), then a choice.
ANSWERS = {
    "telegram": ("PD-VP", ["5", "4", "5", "4", "5"], "1"),
    "zalo": ("PD-VP", ["3", "3", "4", "2", "3"], "0"),
    "sandbox": ("PD-KT", ["1", "2", "2", "1", "2"], "3"),
    **{
        f"svc-{n}": ("PD-VP" if n % 2 else "PD-KT", [str(1 + (n + k) % 5) for k in range(5)], "2")
        for n in range(6)
    },
}


@pytest.fixture
async def app(
    tmp_path: Path, telegram: FakeTelegram, zalo: FakeZalo, clock: FakeClock
) -> AsyncIterator[Application]:
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


async def answered_petition(app: Application, citizen_id: int, unit: str, at: datetime) -> None:
    """A petition of the citizen's, held by `unit`, answered at `at`."""
    async with app.db.transaction() as session:
        number = await session.scalar(select(func.count()).select_from(m.Petition))
        row = m.Petition(
            code=f"S-{number:04d}",
            kind="kien_nghi",
            field="dat_dai",
            unit_code=unit,
            state="answered",
            instance=1,
            group_size=1,
            content="Nội dung",
            channel="telegram",
            received_at=at,
            citizen_id=citizen_id,
        )
        session.add(row)
        await session.flush()
        session.add(m.PetitionEvent(petition_id=row.id, at=at, actor="o", action="answer"))


async def service_citizen(app: Application, name: str) -> int:
    async def make(store: SqlStore) -> int:
        citizen = await store.ensure_citizen("sandbox", name, name, app.clock())
        await store.record_consent(citizen.id, app.clock())
        return citizen.id

    return await in_store(app, make)


async def telegram_with(user: SimUser, words: str) -> str:
    for _ in range(10):
        reply = await user.next_reply()
        if words in (reply.text or ""):
            return reply.text or ""
    raise AssertionError(f"no message with {words!r}")


def expected(units: set[str]) -> Survey:
    """The figures counted by hand from `ANSWERS` for these units (ten invited in all)."""
    answers: dict[str, int] = {}
    points: dict[str, int] = {}
    for unit, scale, _ in ANSWERS.values():
        if unit in units:
            for aspect, point in zip(ASPECTS, scale, strict=True):
                answers[aspect] = answers.get(aspect, 0) + 1
                points[aspect] = points.get(aspect, 0) + int(point)
    invited = {"PD-VP": 5, "PD-KT": 5}  # the nine who answer, and the one who does not
    responses = sum(1 for unit, _, _ in ANSWERS.values() if unit in units)
    return Survey(sum(invited[u] for u in units), responses, answers, points)


def pct(value: float | None) -> str:
    assert value is not None
    return f"{value * 100:.1f}%".replace(".", ",")


async def test_a_survey_runs_for_one_period_and_its_index_is_in_the_report(
    app: Application,
    telegram: FakeTelegram,
    zalo: FakeZalo,
    http: aiohttp.ClientSession,
    clock: FakeClock,
) -> None:
    # --- people whose petitions were answered: on Telegram, Zalo, the sandbox, and the service -
    tg = telegram.user(2001, "Hoa")
    await telegram_consent(tg)
    zl = zalo.user("z-9")
    await zl.send_text("/start")
    await zl.next_reply()
    await zl.send_text("1")  # «Tôi đồng ý»
    await zl.next_reply()
    sb = SandboxPerson(app, http, "citizen-1")
    await sandbox_consent(sb)
    ids = {
        "telegram": await citizen_of(app, "telegram", "2001"),
        "zalo": await citizen_of(app, "zalo", "z-9"),
        "sandbox": await citizen_of(app, "sandbox", "citizen-1"),
    }
    for n in range(6):
        ids[f"svc-{n}"] = await service_citizen(app, f"svc-{n}")
    ids["silent"] = await service_citizen(app, "silent")
    ids["last-year"] = await service_citizen(app, "last-year")
    for name, (unit, _, _) in ANSWERS.items():
        await answered_petition(app, ids[name], unit, IN_Q1)
    await answered_petition(app, ids["silent"], "PD-KT", IN_Q1)
    await answered_petition(app, ids["telegram"], "PD-KT", IN_Q1)  # two petitions: one form
    await answered_petition(app, ids["last-year"], "PD-VP", IN_Q4)  # another period

    # --- the chairman starts it from «Chỉ tiêu» -------------------------------------------------
    chairman = SandboxPerson(app, http, "officer-pd.chutich")
    assert "đã được liên kết" in texts(
        await chairman.say(f"/start {await invite_code(app, 'pd.chutich')}")
    )
    shown = await chairman.press("Chỉ tiêu", await chairman.say("/menu"))
    assert "Chưa có đợt lấy ý kiến hay khảo sát nào" in texts(shown)
    home = await chairman.press("Khảo sát hài lòng", shown)
    assert "Chưa có đợt khảo sát nào" in texts(home)
    lines = await chairman.press("Gửi khảo sát", home)
    assert [label.split(" ")[0] for label in labels(lines)[:2]] == ["2026-Q1", "2025-Q4"]
    lines = await chairman.press("2026-Q1", lines)
    assert "Kỳ này có 10 người có đơn được trả lời" in texts(lines)
    lines = await chairman.press("Mẫu ngẫu nhiên", lines)
    assert "Cần một số từ 1 đến" in texts(await chairman.say("không"))
    lines = await chairman.press("Quay lại", await chairman.new_lines() or lines)
    lines = await chairman.press("Tất cả", lines)
    review = texts(lines)
    assert TEMPLATE.title in review and "tối đa 10 người" in review
    assert "Đang gửi khảo sát kỳ 2026-Q1" in texts(await chairman.press("Gửi phiếu", lines))
    await run_due_jobs(app)
    told = texts(await chairman.new_lines())
    assert "tới 10 người" in told and "0 người đã được mời" in told

    # --- Telegram: buttons; the survey asks no village -------------------------------------------
    invitation = await telegram_with(tg, "mời ông/bà cho biết mức độ hài lòng")
    assert "Văn phòng HĐND và UBND xã Phú Đình" in invitation, "one form: the first unit's"
    await tg.press("✍️ Trả lời")
    await telegram_with(tg, "Câu 1/6")
    _, scale, choice = ANSWERS["telegram"]
    for number, point in enumerate(scale, start=2):
        await tg.press(point)
        await telegram_with(tg, f"Câu {number}/6")
    await tg.press(TEMPLATE.questions[5].options[int(choice)])
    await telegram_with(tg, "kiểm tra lại")
    await tg.press("📨 Gửi ý kiến")
    assert "phiếu khảo sát" in await telegram_with(tg, "Cảm ơn ông/bà")

    # --- Zalo: every answer typed as its number --------------------------------------------------
    message = await zalo_with(zl, "mời ông/bà cho biết mức độ hài lòng")
    await zl.send_text(number_of(message, "✍️ Trả lời"))
    message = await zalo_with(zl, "Câu 1/6")
    _, scale, choice = ANSWERS["zalo"]
    for number, point in enumerate(scale, start=2):
        await zl.send_text(number_of(message, point))
        message = await zalo_with(zl, f"Câu {number}/6")
    await zl.send_text(number_of(message, TEMPLATE.questions[5].options[int(choice)]))
    review_zalo = await zalo_with(zl, "kiểm tra lại")
    await zl.send_text(number_of(review_zalo, "📨 Gửi ý kiến"))
    await zalo_with(zl, "Cảm ơn ông/bà")

    # --- the sandbox ----------------------------------------------------------------------------
    lines = await sb.press("Trả lời", await sb.new_lines())
    _, scale, choice = ANSWERS["sandbox"]
    for point in scale:
        lines = await sb.press(point, lines)
    lines = await sb.press(TEMPLATE.questions[5].options[int(choice)], lines)
    assert "Cảm ơn ông/bà" in texts(await sb.press("Gửi ý kiến", lines))

    # --- the service; the uninvited and a second answer are refused --------------------------
    async def questionnaire_of(citizen_id: int) -> int:
        async with app.db.transaction() as session:
            found = await session.scalar(
                select(m.SurveyInvitation.consultation_id).where(
                    m.SurveyInvitation.citizen_id == citizen_id
                )
            )
            assert found is not None
            return found

    for n in range(6):
        _, scale, choice = ANSWERS[f"svc-{n}"]
        answers = {i: [p] for i, p in enumerate(scale)} | {5: [choice]}
        target = await questionnaire_of(ids[f"svc-{n}"])
        await in_store(
            app,
            lambda s, c=ids[f"svc-{n}"], a=answers, q=target: submit(
                s, app.env, q, c, "", a, app.clock()
            ),
        )
    some = await questionnaire_of(ids["svc-0"])
    for who in ("svc-0", "last-year"):
        with pytest.raises(ConsultationRefused):
            await in_store(
                app,
                lambda s, c=ids[who]: submit(
                    s, app.env, some, c, "", {i: ["3"] for i in range(5)}, app.clock()
                ),
            )

    # --- the index: by hand, in the chart's data, in the indicators ---------------------------
    both = expected({"PD-VP", "PD-KT"})
    by_hand = [aspect_index(both.answers[a], both.points[a]) for a in ASPECTS]  # (mean − 1) / 4
    assert by_hand == [both.index[a] for a in ASPECTS]
    officer = await in_store(app, lambda store: store.officer_by_handle("pd.chutich"))
    assert officer is not None
    period, figures = await in_store(app, lambda s: survey_standing(s, app.env, officer, 1))
    assert figures == both and period == Q1
    t = app.env.catalogues.get("vi")
    data = chart_indices(t, figures)
    assert [index for _, index in data] == [*by_hand, overall_index(both.answers, both.points)]
    bars = [p.get_width() for p in satisfaction_figure(data, "x").axes[0].patches]
    assert bars == [pytest.approx(index * 100) for _, index in data]

    shown = await chairman.press("Chỉ tiêu", await chairman.say("/menu"))
    indicators = texts(shown)
    for unit, name in (("PD-VP", "Văn phòng HĐND và UBND xã Phú Đình"), ("PD-KT", "Phòng Kinh tế")):
        figures_unit = expected({unit})
        assert f"Chỉ số hài lòng {pct(figures_unit.overall)}" in indicators, unit
        assert f"{figures_unit.responses}/5 người đã trả lời" in indicators
        assert name in indicators
    assert f"Toàn phạm vi: Chỉ số hài lòng {pct(both.overall)}" in indicators
    assert f"Tiếp cận {pct(both.index['access'])}" in indicators

    home = await chairman.press("Khảo sát hài lòng", shown)
    assert "9/10 người đã trả lời" in texts(home)
    chart = await chairman.press("Biểu đồ kỳ 2026-Q1", home)
    assert any(line.get("document") == "hai-long-1.png" for line in chart)
    assert f"Chỉ số hài lòng {pct(both.overall)}" in texts(chart)

    # --- the report's workbook: its sheet, beside the ratings; the other sheets as before ------
    built = await in_store(app, lambda s: build_report(s, app.env, t, "PD", Q1, date(2026, 3, 20)))
    book = openpyxl.load_workbook(io.BytesIO(built.workbook))
    assert book.sheetnames[-1] == "Chỉ số hài lòng" and len(book.sheetnames) == 7
    rows = {row[0]: row[1:] for row in book["Chỉ số hài lòng"].iter_rows(values_only=True)}
    for unit, name in (
        ("PD-VP", "Văn phòng HĐND và UBND xã Phú Đình"),
        ("PD-KT", "Phòng Kinh tế xã Phú Đình"),
    ):
        figures_unit = expected({unit})
        invited, responses, share, *aspects = rows[name][:9]
        assert (invited, responses) == (5, figures_unit.responses)
        assert share == pytest.approx(figures_unit.responses / 5)
        assert aspects[:5] == [pytest.approx(figures_unit.index[a]) for a in ASPECTS]
        assert aspects[5] == pytest.approx(figures_unit.overall)
    total = rows["Tổng cộng"]
    assert total[:2] == (10, 9) and total[8] == pytest.approx(both.overall)
    assert rows["UBND xã Phú Đình"][0] in (None, 0), "the committee itself answered none"

    # --- once per person per period: a second survey of Q1 invites nobody; the database refuses
    lines = await chairman.press("Gửi khảo sát", await chairman.press("Khảo sát hài lòng", shown))
    lines = await chairman.press("Tất cả", await chairman.press("2026-Q1", lines))
    await chairman.press("Gửi phiếu", lines)
    await run_due_jobs(app)
    told = texts(await chairman.new_lines())
    assert "tới 0 người" in told and "10 người đã được mời" in told
    async with app.db.transaction() as session:
        invited = list(await session.scalars(select(m.SurveyInvitation)))
        assert len(invited) == 10 and len({i.citizen_id for i in invited}) == 10
        assert ids["last-year"] not in {i.citizen_id for i in invited}
    with pytest.raises(IntegrityError):
        async with app.db.transaction() as session:
            first = invited[0]
            session.add(
                m.SurveyInvitation(
                    survey_id=2,
                    consultation_id=first.consultation_id,
                    citizen_id=first.citizen_id,
                    period="2026-Q1",
                    invited_at=app.clock(),
                )
            )


async def test_consultations_held_and_their_participation_join_the_indicators(
    app: Application, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    followers = [await service_citizen(app, f"svc-{n}") for n in range(3)]
    for citizen_id in followers:
        await in_store(app, lambda s, c=citizen_id: s.subscribe(c, "PD-NM", app.clock()))

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
    await run_due_jobs(app)
    found = await in_store(app, lambda s: s.consultation(consultation_id))
    assert found is not None and found.reached == 3, "the followers the announcement reached"
    for citizen_id in followers[:2]:
        await in_store(
            app,
            lambda s, c=citizen_id: submit(
                s, app.env, consultation_id, c, "PD-NM", {0: ["0"]}, app.clock()
            ),
        )
    chairman = SandboxPerson(app, http, "officer-pd.chutich")
    await chairman.say(f"/start {await invite_code(app, 'pd.chutich')}")
    before = texts(await chairman.press("Chỉ tiêu", await chairman.say("/menu")))
    assert "Chưa có đợt lấy ý kiến hay khảo sát nào" in before, "not held until it closes"
    clock.advance(days=2)
    after = texts(await chairman.press("Chỉ tiêu", await chairman.say("/menu")))
    assert "UBND xã Phú Đình: 1 đợt lấy ý kiến đã kết thúc" in after
    assert "2/3 người nhận thông báo đã gửi ý kiến (66,7%)" in after
    assert "Tỷ lệ tham gia = số người gửi ý kiến" in after


def test_a_survey_template_is_checked_when_read(tmp_path: Path) -> None:
    assert [q.aspect for q in TEMPLATE.questions][:5] == list(ASPECTS)
    (tmp_path / "bad.toml").write_text(
        'code = "bad"\ntitle = "x"\n[[questions]]\naspect = "mood"\nkind = "scale"\ntext = "?"\n'
    )
    with pytest.raises(SurveyError, match="question 1"):
        load_survey("bad", tmp_path)
    (tmp_path / "words.toml").write_text(
        'code = "words"\ntitle = "x"\n[[questions]]\naspect = "overall"\nkind = "text"\n'
        'text = "?"\nlimit = 100\n'
    )
    with pytest.raises(SurveyError, match="scales or choices"):
        load_survey("words", tmp_path)
    assert aspect_index(2, 2) == 0 and aspect_index(1, 5) == 1 and aspect_index(4, 12) == 0.5
    assert aspect_index(0, 0) is None
    assert overall_index({"access": 1, "overall": 1}, {"access": 5, "overall": 3}) == 0.75
