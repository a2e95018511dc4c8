"""The sandbox page's API takes only what a person on the page could do."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.app import Application
from bot.channels.sandbox import SandboxChannel
from bot.core import FileRef, Undeliverable


async def test_an_upload_id_that_is_a_path_copies_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("không được lộ")
    channel = SandboxChannel(tmp_path / "files")
    forged = FileRef("../../secret.txt", "document", channel="sandbox")
    with pytest.raises(Undeliverable):
        await channel.download(forged, str(tmp_path / "copy"))
    assert not (tmp_path / "copy").exists()


@pytest.mark.parametrize(
    "latitude, longitude", [("nan", "105.8"), ("21.5", "inf"), ("91", "105.8"), ("x", "1")]
)
async def test_a_location_off_the_map_is_refused(
    sandbox_app: Application, http: aiohttp.ClientSession, latitude: str, longitude: str
) -> None:
    action = {"kind": "location", "latitude": latitude, "longitude": longitude}
    async with http.post(
        f"http://127.0.0.1:{sandbox_app.port}/sandbox/api/send",
        json={"chat": "citizen-1", "action": action},
        headers={"X-Sandbox": "1"},
    ) as response:
        assert response.status == 400
