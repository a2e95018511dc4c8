"""An officer at the sandbox page in headless Chromium sees the evidence (issue 14 §1): the place
as a link to a map, the citizen's photo as a picture, the PDF as a link that downloads.

The citizen files through the page's API (tests/test_evidence.py); the officer reads in a real
browser, which is where a broken <img> or a dead link shows. Needs Debian's chromium, as
tests/test_sandbox_browser.py does; without it the test is skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from playwright.async_api import Browser, async_playwright, expect

from bot.app import Application
from tests.fake_telegram import tiny_png
from tests.sandbox_client import SandboxPerson
from tests.test_evidence import (
    CODE,
    MAP_LINK,
    PDF,
    complaint_with_evidence_in_the_sandbox,
    fetch,
)
from tests.test_sandbox_browser import CHROMIUM_ARGS, PHONE_VIEWPORT, TIMEOUT_MS, chromium_path

pytestmark = pytest.mark.browser


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


async def test_the_officer_sees_the_map_link_the_photo_and_the_pdf_link(
    sandbox_app: Application, http: aiohttp.ClientSession, browser: Browser
) -> None:
    await complaint_with_evidence_in_the_sandbox(SandboxPerson(sandbox_app, http, "citizen-1"))
    expect.set_options(timeout=TIMEOUT_MS)
    context = await browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True)
    try:
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        await page.goto(f"http://127.0.0.1:{sandbox_app.port}/sandbox")
        identity = page.get_by_test_id("identity")
        await expect(identity).to_have_value("citizen-1")
        await identity.select_option("officer-pd.tiepdan")
        messages = page.get_by_test_id("bot-message")
        notice = messages.filter(has_text=f"Đơn mới {CODE}").last
        await notice.get_by_role("button", name="📂 Mở đơn").click()

        card = messages.filter(has_text=f"📄 Đơn {CODE}").last
        place = card.get_by_test_id("bot-place")
        await expect(place).to_have_attribute("href", MAP_LINK)
        await expect(place).to_have_text(f"📍 Vị trí công dân gửi — đơn {CODE}")
        await card.get_by_role("button", name="📎 Xem tệp đính kèm (2)").click()

        photo = messages.get_by_test_id("bot-image")
        await expect(photo).to_have_js_property("naturalWidth", 2)  # loaded, not a broken image
        download = messages.get_by_test_id("bot-file")
        await expect(download).to_have_text("📄 so-do.pdf")
        href = await download.get_attribute("href")
        assert href is not None
        assert (await fetch(href))[:2] == (200, PDF)
        assert (await fetch(await photo.get_attribute("src") or ""))[1] == tiny_png()
        assert problems == [], problems
    finally:
        await context.close()
