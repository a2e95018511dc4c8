"""The staff command line: officers, invite (then binding in chat), deadline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.app import Application
from tests.conftest import FakeClock, database_url, telegram_settings
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(tmp_path),
        "TELEGRAM_BOT_TOKEN": "",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_officers_lists_stable_handles_units_and_roles(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "officers")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("pd.tiepdan"))
    assert "PD-VP" in line and "reception" in line and "Lê Thị Mai" in line


def test_deadline_prints_the_due_date_on_its_last_line(tmp_path: Path) -> None:
    # tc.resolve: accepted Mon 02/03/2026, 30 days + one extension of 30 (complex) → 01/05/2026,
    # a holiday (Labour Day), then the weekend → Mon 04/05/2026.
    result = run_cli(
        tmp_path, "deadline", "tc.resolve", "2026-03-02", "--complex", "--extensions", "1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2026-05-04"
    refused = run_cli(tmp_path, "deadline", "tc.resolve", "2026-03-02", "--extensions", "1")
    assert refused.returncode == 2 and refused.stderr.strip()


async def test_invite_link_binds_the_officer_once(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock
) -> None:
    result = run_cli(tmp_path, "invite", "pd.kinhte", TELEGRAM_BOT_USERNAME="tiepdan_test_bot")
    assert result.returncode == 0, result.stderr
    link = re.search(r"https://t\.me/tiepdan_test_bot\?start=([\w-]+)", result.stdout)
    assert link, result.stdout
    assert run_cli(tmp_path, "invite", "nobody").returncode == 2

    settings = telegram_settings(tmp_path, telegram).model_copy(
        update={"database_url": database_url(tmp_path)}
    )
    app = Application(settings, clock=clock)
    await app.start()
    try:
        officer = telegram.user(8001, "Đức")
        await officer.send_command("/start", args=link.group(1))
        bound = await officer.next_reply()
        assert "Phạm Văn Đức" in bound.text and "(Phòng Kinh tế xã Phú Đình)" in bound.text
        await officer.press("📋 Đơn được giao")
        assert "không có đơn" in (await officer.next_reply()).text
        intruder = telegram.user(8002)
        await intruder.send_command("/start", args=link.group(1))
        assert "đã được sử dụng" in (await intruder.next_reply()).text
    finally:
        await app.stop()
