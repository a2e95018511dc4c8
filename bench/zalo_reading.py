"""What a Zalo citizen must read to file one petition, end to end.

The real app against the fake Zalo Bot Platform (tests/fake_zalo.py), on a temporary SQLite
database: a complaint filed as tests/test_zalo.py files it (every choice typed as its number), a
feedback (kiến nghị) as tests/test_zalo_flows.py files it, and a named denunciation of a commune
official. Printed for each: the messages the bot sent the citizen and the characters in them
(issue 13 aims at ≤ 2 500 for the complaint). With `--show`, the messages themselves.

    .venv/bin/python bench/zalo_reading.py [--show]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import Application  # noqa: E402
from tests.conftest import FakeClock  # noqa: E402
from tests.fake_zalo import FakeZalo, FakeZaloUser, Sent  # noqa: E402
from tests.test_zalo import VI, choose, file_complaint_over_zalo, zalo_settings  # noqa: E402
from tests.test_zalo_flows import feedback_filed, said  # noqa: E402

AIM = 2500  # characters, for the complaint (issue 13)


async def complaint(citizen: FakeZaloUser) -> None:
    await file_complaint_over_zalo(citizen)


async def feedback(citizen: FakeZaloUser) -> None:
    await feedback_filed(citizen, "Đề nghị bộ phận một cửa của xã làm việc cả sáng thứ Bảy.")


async def denunciation(citizen: FakeZaloUser) -> None:
    """A named denunciation of a commune official, every choice typed as its number."""
    await citizen.send_text("/start")
    last = await citizen.next_reply()
    for label in (
        VI("privacy.agree"),
        VI("menu.file"),
        "Tố cáo",
        "Đất đai",
        "Cán bộ, công chức của xã",
        "Xã Phú Đình",
        "Xóm Bản Trang",
    ):
        last = await choose(citizen, last, label)
    noted = await said(citizen, "Cán bộ địa chính xã nhận tiền để làm sổ đỏ nhanh.")
    identity = await choose(citizen, noted, VI("filing.content.done"))
    await choose(citizen, identity, VI("filing.denunciation.named"))
    for answer in ("Hoàng Văn Tố", "0987 654 321"):
        await said(citizen, answer)
    review = await said(citizen, "Xóm Bản Trang, nhà số 17")
    receipt = await choose(citizen, review, VI("filing.review.send"))
    assert "PD-2026-000001" in receipt.text, receipt.text


FLOWS: dict[str, Callable[[FakeZaloUser], Awaitable[None]]] = {
    "complaint": complaint,
    "feedback": feedback,
    "denunciation": denunciation,
}


async def read_in(flow: Callable[[FakeZaloUser], Awaitable[None]]) -> list[Sent]:
    """Everything the bot sent one citizen who walked through `flow`, on a fresh app."""
    with tempfile.TemporaryDirectory() as folder:
        async with FakeZalo() as zalo:
            app = Application(zalo_settings(Path(folder), zalo), clock=FakeClock())
            await app.start()
            try:
                citizen = zalo.user("citizen-1")
                await flow(citizen)
                await app.outbox.flush()
                return zalo.sent_to("citizen-1")
            finally:
                await app.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print the messages themselves")
    args = parser.parse_args()
    for name, flow in FLOWS.items():
        read = await read_in(flow)
        characters = sum(len(sent.text) for sent in read)
        aim = f" (aim ≤ {AIM})" if name == "complaint" else ""
        print(f"{name}: {len(read)} messages, {characters} characters{aim}")
        if args.show:
            for sent in read:
                print(f"--- {len(sent.text)}\n{sent.text}")


if __name__ == "__main__":
    asyncio.run(main())
