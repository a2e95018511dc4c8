"""The real python-telegram-bot stack over HTTP against the fake Bot API server, on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Application
from storage import models as m
from tests.conftest import FakeClock, run_due_jobs, telegram_settings
from tests.fake_telegram import FakeTelegram, SimUser, tiny_png


async def count(app: Application, model: type) -> int:
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def consent(user: SimUser) -> None:
    await user.send_command("/start")
    assert "dữ liệu cá nhân" in (await user.next_reply()).text
    await user.press("✅ Tôi đã hiểu, tiếp tục")
    assert "Xin chào" in (await user.next_reply()).text


async def up_to_the_communes(user: SimUser) -> None:
    """A land complaint, up to the question of its commune."""
    await consent(user)
    await user.press("📝 Gửi đơn")
    assert "loại đơn" in (await user.next_reply()).text
    await user.press("Khiếu nại")
    assert "lĩnh vực" in (await user.next_reply()).text
    await user.press("Đất đai")
    assert "Sự việc xảy ra ở" in (await user.next_reply()).text


async def file_up_to_content(user: SimUser) -> None:
    await up_to_the_communes(user)
    await user.press("Xã Phú Đình")
    assert "xóm nào" in (await user.next_reply()).text
    await user.press("Xóm Làng Bẩy")
    assert "kể lại sự việc" in (await user.next_reply()).text


async def finish_complaint(
    user: SimUser, attach: Callable[[], Awaitable[object]] | None = None
) -> str:
    await user.send_text("Hàng xóm lấn chiếm lối đi chung, xã đã hòa giải nhưng không giải quyết.")
    assert "Đã ghi nhận" in (await user.next_reply()).text
    await (attach or (lambda: user.send_photo(tiny_png(), caption="Ảnh lối đi")))()
    assert "tệp đính kèm" in (await user.next_reply()).text
    await user.press("✅ Xong")
    assert "họ và tên" in (await user.next_reply()).text
    await user.send_text("Đinh Văn Phúc")
    share = await user.next_reply()
    assert "Số điện thoại" in share.text
    assert share.keyboard and share.keyboard[0][0].request_contact
    assert [key.text for key in share.keyboard[1]] == ["⬅️ Quay lại", "✖️ Hủy"]
    await user.share_contact("+84 912 000 111")
    assert "Địa chỉ" in (await user.next_reply()).text
    await user.send_text("Xóm Làng Bẩy, xã Phú Đình")
    review = await user.next_reply()
    assert "Đinh Văn Phúc" in review.text and "0912000111" in review.text
    await user.press("📨 Gửi đơn")
    return (await user.next_reply()).text


async def test_complaint_filed_end_to_end_over_telegram(
    app: Application, telegram: FakeTelegram
) -> None:
    officer = telegram.user(5001, "Mai")
    await bind_officer(app, officer, "pd.tiepdan")
    citizen = telegram.user(1001, "Phúc")
    await file_up_to_content(citizen)
    receipt = await finish_complaint(citizen)
    assert "Mã đơn: PD-2026-000001" in receipt
    assert "Loại đơn: Khiếu nại" in receipt
    assert "12/03/2026" in receipt  # kn1.accept: 10 days after Mon 02/03/2026

    notice = await officer.next_reply()
    assert "Đơn mới PD-2026-000001" in notice.text and "Tệp đính kèm: 1" in notice.text
    await officer.press("📂 Mở đơn")
    opened = await officer.next_reply()
    assert "lấn chiếm lối đi chung" in opened.text and "0912000111" in opened.text

    await app.fetcher.fetch_missing()
    async with app.db.transaction() as session:
        attachment = await session.scalar(select(m.Attachment))
    assert attachment is not None and attachment.local_path
    assert Path(attachment.local_path).read_bytes() == tiny_png()
    assert all(call.status == 200 for call in telegram.calls_of("answerCallbackQuery"))
    assert telegram.pending_callbacks == set()


async def test_a_document_with_an_overlong_name_is_kept_under_a_shorter_one(
    app: Application, telegram: FakeTelegram
) -> None:
    """Telegram passes on whatever name the sender's phone gave the file."""
    citizen = telegram.user(1002, "Lan")
    name = "so-do-thua-dat-" + "ban-chup-lan-hai-" * 20 + ".pdf"
    await file_up_to_content(citizen)
    receipt = await finish_complaint(
        citizen, lambda: citizen.send_document(b"%PDF-1.4 so do", name, "application/pdf")
    )
    assert "Mã đơn: PD-2026-000001" in receipt
    async with app.db.transaction() as session:
        attachment = await session.scalar(select(m.Attachment))
    assert attachment is not None and attachment.name is not None
    assert len(attachment.name) == 255 and attachment.name.startswith("so-do-thua-dat-")
    assert attachment.name.endswith(".pdf"), "it still opens as a PDF"


async def invite_code(app: Application, handle: str) -> str:
    """What `python -m bot invite` does: a fresh one-time code for the officer."""
    import secrets
    from datetime import timedelta

    from handlers.common import invite_hash

    code = secrets.token_urlsafe(12)
    async with app.db.transaction() as session:
        row = await session.scalar(select(m.Officer).where(m.Officer.handle == handle))
        assert row is not None
        session.add(
            m.Invite(
                officer_id=row.id,
                code_hash=invite_hash(code),
                created_at=app.clock(),
                expires_at=app.clock() + timedelta(hours=72),
            )
        )
    return code


async def bind_officer(app: Application, officer: SimUser, handle: str) -> None:
    """The officer opens the invite link."""
    code = await invite_code(app, handle)
    await officer.send_command("/start", args=code)
    assert "đã được liên kết" in (await officer.next_reply()).text


async def test_invite_codes_work_once_and_expire(
    app: Application, telegram: FakeTelegram, clock: FakeClock
) -> None:
    import secrets
    from datetime import timedelta

    from handlers.common import invite_hash

    first, second = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    async with app.db.transaction() as session:
        officer = await session.scalar(select(m.Officer).where(m.Officer.handle == "pd.kinhte"))
        assert officer is not None
        for code, hours in ((first, 72), (second, 1)):
            session.add(
                m.Invite(
                    officer_id=officer.id,
                    code_hash=invite_hash(code),
                    created_at=clock(),
                    expires_at=clock() + timedelta(hours=hours),
                )
            )
    await telegram.user(7001).send_command("/start", args=first)
    assert "đã được liên kết" in (await telegram.user(7001).next_reply()).text
    await telegram.user(7002).send_command("/start", args=first)
    assert "đã được sử dụng" in (await telegram.user(7002).next_reply()).text
    clock.advance(hours=2)
    await telegram.user(7003).send_command("/start", args=second)
    assert "hết hạn" in (await telegram.user(7003).next_reply()).text
    await telegram.user(7004).send_command("/start", args="made-up-code")
    assert "không đúng" in (await telegram.user(7004).next_reply()).text


async def test_restart_in_the_middle_of_filing_resumes_and_redelivery_files_once(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock
) -> None:
    settings = telegram_settings(tmp_path, telegram)
    first = Application(settings, clock=clock)
    await first.start()
    citizen = telegram.user(1002, "Hoa")
    await file_up_to_content(citizen)
    await first.stop()

    clock.advance(hours=5)
    second = Application(settings, clock=clock)
    await second.start()
    try:
        receipt = await finish_complaint(citizen)
        assert "PD-2026-000001" in receipt
        confirm = next(u for u in reversed(telegram_updates(telegram)) if "callback_query" in u)
        telegram.resend_update(confirm)
        await citizen.expect_no_reply(within=0.5)
        assert await count(second, m.Petition) == 1
    finally:
        await second.stop()


def telegram_updates(server: FakeTelegram) -> list[dict]:
    return [update for call in server.calls_of("getUpdates") for update in call.result or []]


async def test_update_stored_before_a_crash_is_handled_once_after_restart(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock
) -> None:
    from bot.channels.telegram import to_incoming
    from storage import queues
    from storage.db import Database, migrate

    settings = telegram_settings(tmp_path, telegram)
    await asyncio.to_thread(migrate, settings.database_url)
    db = Database(settings.database_url)
    update = await telegram.user(1003).send_command("/start")
    from telegram import Update

    incoming = to_incoming(Update.de_json(update, None), clock())
    assert incoming is not None
    async with db.transaction() as session:
        await queues.store_updates(session, [incoming], clock())
    await db.close()

    app = Application(settings, clock=clock)
    await app.start()
    try:
        assert "dữ liệu cá nhân" in (await telegram.user(1003).next_reply()).text
        await telegram.user(1003).expect_no_reply(within=0.5)
    finally:
        await app.stop()


async def test_an_update_that_could_not_be_stored_is_fetched_again(
    app: Application, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import queues

    real_store = queues.store_updates
    failures = []

    async def store_fails_once(*args: object, **kwargs: object) -> object:
        if not failures:
            failures.append("disk full")
            raise OSError("disk full")
        return await real_store(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(queues, "store_updates", store_fails_once)
    citizen = telegram.user(1004)
    await citizen.send_command("/start")
    assert "dữ liệu cá nhân" in (await citizen.next_reply(timeout=10)).text
    await citizen.expect_no_reply(within=0.5)
    assert failures == ["disk full"]
    assert await count(app, m.InboxUpdate) == 1


async def test_the_officer_hears_when_the_filer_cannot_be_told(
    app: Application, telegram: FakeTelegram
) -> None:
    """The citizen blocked the bot after filing: the acceptance notice the law wants them to
    have cannot go, and the officer is told to reach them another way."""
    officer = telegram.user(5001, "Mai")
    await bind_officer(app, officer, "pd.tiepdan")
    citizen = telegram.user(1003, "Hà")
    await file_up_to_content(citizen)
    await finish_complaint(citizen)
    await officer.next_reply()
    telegram.block(citizen.user_id)
    await officer.press("📂 Mở đơn")
    await officer.next_reply()
    told = await accepted_but_filer_unreachable(app, officer)
    assert "qua Telegram" in told and "bưu điện" in told
    assert "Hà" not in told and "0912000111" not in told


async def accepted_but_filer_unreachable(app: Application, officer: SimUser) -> str:
    """The officer accepts the open petition; its filer cannot be told: what the officer hears."""
    await officer.press("✅ Thụ lý")
    assert "Thụ lý đơn" in (await officer.next_reply()).text  # asked once
    await officer.press("✅ Xác nhận")
    assert "PD-2026-000001" in (await officer.next_reply()).text
    await app.outbox.flush()
    await run_due_jobs(app)
    told = await officer.next_reply()
    assert "Không gửi được thông báo về đơn PD-2026-000001" in told.text
    assert "📂 Mở đơn" in told.button_texts
    return told.text
