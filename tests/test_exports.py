"""Row-level exports: the period and scope only, nothing that identifies a denouncer, phone and
ID numbers masked, and no cell a spreadsheet would run as a formula (issue 5 §4)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from bot.app import load_organisation, prepare_database
from bot.commands.export import ExportRequest, export_and_audit
from bot.domain.org import Organisation
from bot.domain.petition import mask_personal_numbers
from bot.i18n import LOCAL_TZ
from bot.reporting.exports import FORMULA_TRIGGERS, neutralise
from storage import models as m
from storage.db import Database
from storage.exports import EXPORT_ACTION, petition_chunks
from tests.conftest import make_settings
from tests.test_cli import run_cli

NOW = datetime(2026, 4, 2, 3, 0, tzinfo=UTC)
MARCH = ExportRequest(date(2026, 3, 1), date(2026, 3, 31), "PD", Path("unused.csv"))

DENOUNCER = ("Hoàng Văn Tố", "0987654321", "Xóm Bản Trang, nhà số 17")
DENUNCIATION_STORY = "tiền bồi thường bị giữ lại"
DENOUNCER_TRACES = (
    *DENOUNCER,
    "987654321",
    "654321",
    "Bản Trang",
    "nhà số 17",
    DENUNCIATION_STORY,  # the story may name its teller: it stays inside too
)
COMPLAINANT_PHONE, CCCD = "0912345678", "001099012345"
INJECTION = '=HYPERLINK("http://evil","x")'

# code → what is expected of it: exported (in March, under PD) or not.
IN_SCOPE = ("PD-1", "PD-2", "PD-4", "PD-5", "PD-6", "PD-3")  # in order of receipt
OUT_OF_SCOPE = ("TS-1", "PD-FEB", "PD-APR")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment given in Vietnam's time."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def petition(code: str, unit: str, received: datetime, **values: Any) -> m.Petition:
    """A petition as the filing step stores it, with test defaults."""
    defaults: dict[str, Any] = {
        "kind": "kien_nghi",
        "field": "giao_thong",
        "state": "received",
        "channel": "telegram",
        "content": "Đường liên xóm bị sạt lở.",
        "filer_name": "Trần Thị Bình",
        "filer_phone": "0355123456",
    }
    return m.Petition(code=code, unit_code=unit, received_at=received, **(defaults | values))


def fixture_petitions() -> list[m.Petition]:
    """March under PD (its boundary days included), and three that must stay out."""
    return [
        petition(
            "PD-1",
            "PD-VP",
            local(2026, 3, 1),  # the first moment of the period
            kind="khieu_nai",
            field="dat_dai",
            state="answered",
            filer_name="Nguyễn Văn An",
            filer_phone=COMPLAINANT_PHONE,
            filer_address=f"Thôn 3, CCCD {CCCD}",
            content=INJECTION,
            accepted_at=local(2026, 3, 5, 9),
            outcome="correct",
        ),
        petition(
            "PD-2",
            "PD",
            local(2026, 3, 10, 8),
            kind="to_cao",
            field="can_bo",
            filer_name=DENOUNCER[0],
            filer_phone=DENOUNCER[1],
            filer_address=DENOUNCER[2],
            content=f"+ {DENUNCIATION_STORY}",
        ),
        petition(
            "PD-3",
            "PD-KT",
            local(2026, 3, 31, 23, 59),  # the last minute of the period
            kind="phan_anh",
            anonymous=True,
            filer_name=None,
            filer_phone=None,
            content="-5 độ, đường trơn, gọi 0987 111 222",
        ),
        petition("PD-4", "PD-VHXH", local(2026, 3, 12), area_code="PD-NM", content="@admin"),
        petition("PD-5", "PD-VP", local(2026, 3, 13), content="\tnhư bảng tính", group_size=7),
        petition("PD-6", "PD-VP", local(2026, 3, 14), content="\rxuống dòng", channel="reception"),
        petition("TS-1", "TS-VP", local(2026, 3, 15)),
        petition("PD-FEB", "PD-VP", local(2026, 2, 28, 23, 59)),
        petition("PD-APR", "PD-VP", local(2026, 4, 1)),
    ]


async def add_history(session: Any, by_code: dict[str, int]) -> None:
    """PD-1 answered within its deadline; PD-4's answer deadline passed unanswered."""
    session.add_all(
        [
            m.Deadline(
                petition_id=by_code["PD-1"],
                rule_id="kn1.accept",
                start_date=date(2026, 3, 1),
                due_date=date(2026, 3, 11),
                status="met",
            ),
            m.Deadline(
                petition_id=by_code["PD-1"],
                rule_id="kn1.resolve",
                start_date=date(2026, 3, 5),
                due_date=date(2026, 4, 6),
                status="met",
            ),
            m.PetitionEvent(
                petition_id=by_code["PD-1"],
                at=local(2026, 3, 5, 9),
                actor="officer:pd.tiepdan",
                action="accept",
            ),
            m.PetitionEvent(
                petition_id=by_code["PD-1"],
                at=local(2026, 3, 20, 15),
                actor="officer:pd.tiepdan",
                action="answer",
            ),
            m.Deadline(
                petition_id=by_code["PD-4"],
                rule_id="pakn.answer",
                start_date=date(2026, 3, 12),
                due_date=date(2026, 4, 1),
                status="open",
            ),
        ]
    )


@pytest.fixture
def org() -> Organisation:
    return load_organisation(None)


@pytest.fixture
async def db(tmp_path: Path, org: Organisation) -> AsyncIterator[Database]:
    database = await prepare_database(make_settings(tmp_path), org)
    async with database.transaction() as session:
        rows = fixture_petitions()
        session.add_all(rows)
        await session.flush()
        await add_history(session, {row.code: row.id for row in rows})
    try:
        yield database
    finally:
        await database.close()


async def export(db: Database, org: Organisation, out: Path) -> int:
    request = ExportRequest(MARCH.first, MARCH.last, MARCH.unit, out)
    return await export_and_audit(db, org, request, "cli:tester", NOW)


def csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "a byte order mark, for Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def xlsx_text(path: Path) -> str:
    """Every part of the XLSX (a zip) as text: what a reader of the file could find."""
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def by_code(rows: list[list[Any]]) -> dict[str, dict[str, Any]]:
    header, *body = rows
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_a_text_starting_like_a_formula_gets_an_apostrophe(trigger: str) -> None:
    assert neutralise(f"{trigger}1+1") == f"'{trigger}1+1"


@pytest.mark.parametrize("value", ["Đường trơn", "0912", "", 7, -3, None, date(2026, 3, 1)])
def test_plain_text_numbers_and_dates_are_left_as_they_are(value: Any) -> None:
    assert neutralise(value) == value


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("CCCD 001099012345, thôn 3", "CCCD 001******345, thôn 3"),
        ("CMND 123456789", "CMND 123***789"),
        ("gọi 0987 654 321 nhé", "gọi 098****321 nhé"),
        ("(0208) 3851 234", "020*****234"),
        ("+84 912.345.678", "849*****678"),
        ("nhà số 17, ngày 12/03/2026 lúc 10:30", "nhà số 17, ngày 12/03/2026 lúc 10:30"),
    ],
)
def test_phone_and_id_numbers_in_free_text_are_masked(text: str, masked: str) -> None:
    assert mask_personal_numbers(text) == masked


async def test_csv_has_the_period_and_scope_masked_and_safe(
    db: Database, org: Organisation, tmp_path: Path
) -> None:
    out = tmp_path / "march.csv"
    assert await export(db, org, out) == len(IN_SCOPE)
    rows = csv_rows(out)
    assert rows[0][:3] == ["Mã đơn", "Loại đơn", "Lĩnh vực"]
    exported = by_code(rows)
    assert sorted(exported) == sorted(IN_SCOPE), "boundary days in, other months and TS out"

    complaint = exported["PD-1"]
    assert complaint["Nội dung"] == "'" + INJECTION
    assert complaint["Số điện thoại"] == "091****678"
    assert complaint["Địa chỉ"] == "Thôn 3, CCCD 001******345"
    assert complaint["Thời điểm tiếp nhận"] == "01/03/2026 00:00"
    assert complaint["Ngày thụ lý"] == "05/03/2026"
    assert complaint["Ngày trả lời"] == "20/03/2026"
    assert complaint["Kết quả giải quyết"] == "Đúng toàn bộ"
    assert (complaint["Hạn giải quyết"], complaint["Tình trạng hạn"]) == ("06/04/2026", "Đúng hạn")
    assert exported["PD-4"]["Tình trạng hạn"] == "Quá hạn"
    assert exported["PD-4"]["Thôn, xóm"] == "Xóm Na Mao"
    assert exported["PD-3"]["Người gửi đơn"] == "Ẩn danh"
    assert exported["PD-3"]["Nội dung"] == "'-5 độ, đường trơn, gọi 098****222"
    assert "bí mật" in exported["PD-2"]["Người gửi đơn"]
    assert exported["PD-2"]["Số điện thoại"] == exported["PD-2"]["Địa chỉ"] == ""
    assert exported["PD-5"]["Số người"] == "7"

    raw = out.read_bytes()
    traces = (*DENOUNCER_TRACES, COMPLAINANT_PHONE, CCCD)
    assert not [trace for trace in traces if trace.encode() in raw]
    for row in rows[1:]:
        assert not [cell for cell in row if cell.startswith(FORMULA_TRIGGERS)], row


async def test_xlsx_has_the_same_rows_typed_and_no_formula(
    db: Database, org: Organisation, tmp_path: Path
) -> None:
    out = tmp_path / "march.xlsx"
    assert await export(db, org, out) == len(IN_SCOPE)
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None and sheet.title == "Danh sách đơn"
    cells = [list(row) for row in sheet.iter_rows()]
    assert not [cell.coordinate for row in cells for cell in row if cell.data_type == "f"]
    exported = by_code([[cell.value for cell in row] for row in cells])
    assert sorted(exported) == sorted(IN_SCOPE)

    complaint = exported["PD-1"]
    assert complaint["Nội dung"] == "'" + INJECTION
    assert complaint["Thời điểm tiếp nhận"] == datetime(2026, 3, 1, 0, 0)  # noqa: DTZ001 (local)
    assert complaint["Hạn giải quyết"] == datetime(2026, 4, 6)  # noqa: DTZ001
    assert exported["PD-5"]["Số người"] == 7
    assert exported["PD-3"]["Người gửi đơn"] == "Ẩn danh"
    for row in exported.values():
        texts = [value for value in row.values() if isinstance(value, str)]
        assert not [text for text in texts if text.startswith(FORMULA_TRIGGERS)], row

    contents = xlsx_text(out)
    assert "<f>" not in contents
    assert not [t for t in (*DENOUNCER_TRACES, COMPLAINANT_PHONE, CCCD) if t in contents]


async def test_the_denouncers_identity_never_leaves_the_database(db: Database) -> None:
    march = MARCH.bounds()
    records = [r async for chunk in petition_chunks(db, ["PD"], *march) for r in chunk]
    assert [(r.code, r.filer_name, r.filer_phone, r.filer_address) for r in records] == [
        ("PD-2", None, None, None)
    ]
    assert records[0].content == "", "a denouncer may name themselves in the story"


async def test_rows_come_in_bounded_chunks_in_order_of_receipt(
    db: Database, org: Organisation
) -> None:
    chunks = [
        [record.code for record in chunk]
        async for chunk in petition_chunks(
            db, ["PD", "PD-VP", "PD-KT", "PD-VHXH"], *MARCH.bounds(), 4
        )
    ]
    assert [len(chunk) for chunk in chunks] == [4, 2]
    assert [code for chunk in chunks for code in chunk] == list(IN_SCOPE)


async def test_an_export_under_way_neither_blocks_writers_nor_sees_their_rows(
    db: Database,
) -> None:
    chunks = petition_chunks(db, ["PD-VP"], *MARCH.bounds(), 1)
    async with contextlib.aclosing(chunks):
        first = await anext(chunks)
        async with asyncio.timeout(2), db.transaction() as session:
            session.add(petition("PD-LATE", "PD-VP", local(2026, 3, 20)))
        rest = [record.code async for chunk in chunks for record in chunk]
    assert [record.code for record in first] + rest == ["PD-1", "PD-5", "PD-6"]


async def test_each_export_is_audited_with_scope_period_and_count(
    db: Database, org: Organisation, tmp_path: Path
) -> None:
    await export(db, org, tmp_path / "march.csv")
    async with db.transaction() as session:
        entry = await session.scalar(
            select(m.AuditEntry).where(m.AuditEntry.action == EXPORT_ACTION)
        )
    assert entry is not None
    assert (entry.actor, entry.subject) == ("cli:tester", "PD")
    assert entry.detail["rows"] == len(IN_SCOPE)
    assert (entry.detail["from"], entry.detail["to"]) == ("2026-03-01", "2026-03-31")
    assert set(entry.detail["units"]) == {"PD", "PD-VP", "PD-KT", "PD-VHXH"}


async def test_the_command_writes_the_file_and_says_how_many_rows(
    db: Database, tmp_path: Path
) -> None:
    out = tmp_path / "petitions.xlsx"
    period = ("--from", "2026-03-01", "--to", "2026-03-31")
    result = run_cli(tmp_path, "export", *period, "--unit", "PD-VP", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"3 petitions written to {out}"
    assert out.exists() and not list(tmp_path.glob("*.part.*"))
    for wrong in (("--unit", "XX", "--out", str(out)), ("--unit", "PD", "--out", "a.pdf")):
        refused = run_cli(tmp_path, "export", *period, *wrong)
        assert refused.returncode == 2 and refused.stderr.startswith("error:")
