"""The contract of `bot.ports.ExportStore`, run on the in-memory fake and on the database (as
tests/test_store_contract.py runs every other port's): the period and units, oldest first, a
denouncer's identity and story withheld, phones masked, and the export in the audit log."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.petition import PetitionKind
from storage.exports import EXPORT_ACTION
from tests.conftest import START
from tests.test_store_contract import (  # noqa: F401 (the fixtures the contract runs on)
    Backend,
    backend,
    new_petition,
    org,
    sqlite_template,
)

DAY = timedelta(days=1)


async def test_an_export_reads_the_period_and_units_in_order_with_identities_withheld(
    backend: Backend,  # noqa: F811
) -> None:
    store = backend.store
    petitions = [
        new_petition("LATER", received_at=START + DAY),
        new_petition("FIRST", filer_phone="0912345678", received_at=START),
        new_petition(
            "DENOUNCED",
            kind=PetitionKind.DENUNCIATION,
            filer_name="Hoàng Văn Tố",
            filer_phone="0987654321",
            filer_address="Xóm Bản Trang",
            latitude=21.6,
            longitude=105.8,
            received_at=START + DAY / 2,
        ),
        new_petition("ELSEWHERE", unit="TS", area="TS-DC", received_at=START),
        new_petition("TOO-LATE", received_at=START + 2 * DAY),
    ]
    for petition in petitions:
        await store.add_petition(petition)

    chunks = store.export_chunks(["PD", "PD-VP"], START, START + 2 * DAY)
    records = [record async for chunk in chunks for record in chunk]

    assert [record.code for record in records] == ["FIRST", "DENOUNCED", "LATER"]
    first, denounced = records[0], records[1]
    assert (first.filer_name, first.filer_phone) == ("Nguyễn Văn A", "091****678")
    withheld = (denounced.filer_name, denounced.filer_phone, denounced.filer_address)
    assert withheld == (None, None, None)
    assert (denounced.content, denounced.latitude, denounced.longitude) == ("", None, None)


async def test_an_export_is_audited_with_who_took_it(backend: Backend) -> None:  # noqa: F811
    detail = {"units": ["PD"], "from": "2026-03-01", "to": "2026-03-31", "rows": 2}
    await backend.store.audit_export("officer:tt.thanhtravien", "PD", detail, START)
    assert await backend.audited() == [("officer:tt.thanhtravien", EXPORT_ACTION, "PD")]
