"""A citizen files a complaint in the sandbox page in headless Chromium; the officer sees it.

Drives the page the way a person would (typing, pressing Enter, clicking the bot's buttons,
answering the phone prompt, switching the identity selector) and waits only with Playwright's
auto-waiting locators. Needs Debian's chromium (`apt-get install chromium`; run
scripts/ensure-chromium.sh); without it the test is skipped.

The same walk takes the user guide's pictures (docs/guide/): with DOCS_SCREENSHOTS=1 they are
written to docs/img/, otherwise to the test's own folder:

    DOCS_SCREENSHOTS=1 .venv/bin/python -m pytest -q tests/test_sandbox_browser.py
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    async_playwright,
    expect,
)

from bot.app import Application
from tests.conftest import due_jobs_done

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_VIEWPORT = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000
PHONE = "0912345678"
STORY = "UBND xã thu hồi 200m2 đất vườn của gia đình tôi mà không có quyết định."
DOCS_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "img"
# The pictures the user guide shows, in the order the walk takes them.
SCREENSHOTS = (
    "nguoi-dan-chon-loai-don.png",
    "nguoi-dan-kiem-tra-don.png",
    "nguoi-dan-bien-nhan.png",
    "can-bo-the-don.png",
    "lanh-dao-don-cua-don-vi.png",
    "thanh-tra-bao-cao.png",
)


def screenshot_folder(tmp_path: Path) -> Path:
    """docs/img/ when the guide's pictures are wanted (DOCS_SCREENSHOTS=1), else the test's own."""
    if os.environ.get("DOCS_SCREENSHOTS", "") not in ("", "0"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        return DOCS_IMAGES
    return tmp_path


def chromium_path() -> str:
    """Debian's chromium, or skip: Playwright's own browsers are never downloaded here."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        pytest.skip(
            "chromium is not installed: run `apt-get install chromium` "
            "(scripts/ensure-chromium.sh tries it) to run the browser test"
        )
    return found


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


class Person:
    """One person at the sandbox page, with what they read and press."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.text_box = page.get_by_test_id("text")
        self.bot_messages = page.get_by_test_id("bot-message")

    def latest_with_buttons(self) -> Locator:
        """The newest bot message that offers buttons: what a person presses next."""
        return self.bot_messages.filter(has=self.page.locator("button")).last

    async def press(self, label: str) -> None:
        """Press the button `label` (exact) in the newest bot message that has buttons."""
        await self.latest_with_buttons().get_by_role("button", name=label, exact=True).click()

    async def type_and_enter(self, text: str) -> None:
        await self.text_box.fill(text)
        await self.text_box.press("Enter")
        await expect(self.text_box).to_have_value("")

    async def bot_says(self, text: str | re.Pattern[str]) -> Locator:
        """Wait until the bot's newest message containing `text` is on screen; return it."""
        message = self.bot_messages.filter(has_text=text).last
        await expect(message).to_be_visible()
        return message

    async def switch_to(self, identity: str) -> None:
        """Be someone else at the page: the selector at the top."""
        selector = self.page.get_by_test_id("identity")
        await selector.select_option(identity)
        await expect(selector).to_have_value(identity)


async def screenshot(page: Page, folder: Path, name: str, message: Locator) -> None:
    """What a phone shows from the top of `message` on: one screen, at CSS pixels to keep it
    small."""
    assert name in SCREENSHOTS, name
    await message.evaluate("element => element.scrollIntoView({block: 'start'})")
    await page.screenshot(path=str(folder / name), scale="css")


async def test_citizen_files_in_the_browser_and_the_officer_opens_it(
    sandbox_app: Application, browser: Browser, tmp_path: Path
) -> None:
    """The day played in the browser: a citizen files, the officer opens the card, the commune's
    chairman reads the unit's list, the province's inspector gets the quarter's report."""
    expect.set_options(timeout=TIMEOUT_MS)
    pictures = screenshot_folder(tmp_path)
    context = await browser.new_context(
        viewport=PHONE_VIEWPORT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
    )
    try:
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                problems.append(f"console error: {message.text} ({message.location['url']})")

        page.on("console", on_console)
        prompts: list[str] = []

        async def on_dialog(dialog: Dialog) -> None:
            prompts.append(f"{dialog.type}: {dialog.message}")
            if dialog.type == "prompt":
                await dialog.accept(PHONE)
            else:
                await dialog.dismiss()

        page.on("dialog", on_dialog)

        await page.goto(f"http://127.0.0.1:{sandbox_app.port}/sandbox")
        await expect(page).to_have_title(re.compile("Tiếp Dân"))
        identity = page.get_by_test_id("identity")
        # The selector is filled from the API; a person starts typing once the page is ready.
        await expect(identity).to_have_value("citizen-1")
        # On a phone the whole page fits: no sideways scrolling, the composer on screen.
        width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width == [PHONE_VIEWPORT["width"]] * 2, width
        await expect(page.get_by_test_id("text")).to_be_in_viewport(ratio=1)
        await expect(page.get_by_test_id("send")).to_be_in_viewport(ratio=1)
        person = Person(page)

        # The citizen says /start and agrees to the privacy notice.
        await person.type_and_enter("/start")
        await expect(page.get_by_test_id("user-message").last).to_have_text("/start")
        await person.bot_says("dữ liệu cá nhân")
        await person.press("✅ Tôi đã hiểu, tiếp tục")

        # Menu → kind → field → commune → village.
        await person.bot_says("Xin chào")
        await person.press("📝 Gửi đơn")
        kinds = await person.bot_says("loại đơn nào")
        await screenshot(page, pictures, "nguoi-dan-chon-loai-don.png", kinds)
        await person.press("Khiếu nại")
        await person.press("Đất đai")
        await person.press("Xã Phú Đình")
        await person.press("Xóm Na Mao")

        # The story, typed and sent with the send button.
        await person.bot_says("kể lại sự việc")
        await person.text_box.fill(STORY)
        await page.get_by_test_id("send").click()
        await person.bot_says("Đã ghi nhận")
        await person.press("✅ Xong")

        # Name, phone by the share-contact key (a JS prompt), address.
        await person.bot_says("họ và tên")
        await person.type_and_enter("Nguyễn Thị Dung")
        share = page.get_by_test_id("keys").get_by_role("button", name=re.compile("số điện thoại"))
        await share.click()
        await expect(page.get_by_test_id("user-message").last).to_have_text(f"📱 {PHONE}")
        await expect(share).to_have_count(0)
        assert len(prompts) == 1 and prompts[0].startswith("prompt:"), prompts
        await person.bot_says("Địa chỉ nơi ở")
        await person.type_and_enter("Xóm Na Mao, xã Phú Đình")

        # Check and send.
        review = await person.bot_says("kiểm tra lại đơn")
        await expect(review).to_contain_text("Nguyễn Thị Dung")
        await expect(review).to_contain_text(PHONE)
        await screenshot(page, pictures, "nguoi-dan-kiem-tra-don.png", review)
        await person.press("📨 Gửi đơn")

        receipt = await person.bot_says("Mã đơn:")
        await expect(receipt).to_contain_text("Mã đơn: PD-2026-000001")
        await expect(receipt).to_contain_text("Loại đơn: Khiếu nại")
        # kn1.accept: 10 days from Mon 02/03/2026 → Thu 12/03/2026 (Điều 27 Luật Khiếu nại 2011).
        await expect(receipt).to_contain_text("12/03/2026")
        await screenshot(page, pictures, "nguoi-dan-bien-nhan.png", receipt)

        # The routed officer: Lê Thị Mai, reception of xã Phú Đình.
        officer_value = await identity.locator("option", has_text="Lê Thị Mai").get_attribute(
            "value"
        )
        assert officer_value == "officer-pd.tiepdan"
        await identity.select_option(officer_value)
        await expect(identity).to_have_value("officer-pd.tiepdan")
        notice = await person.bot_says("Đơn mới PD-2026-000001")
        await expect(notice).to_contain_text("091****678")  # the notice masks the phone
        await expect(page.get_by_text("dữ liệu cá nhân")).to_have_count(0)  # not the citizen's
        await person.press("📂 Mở đơn")
        opened = await person.bot_says("📄 Đơn PD-2026-000001")
        await expect(opened).to_contain_text("thu hồi 200m2 đất vườn")
        await expect(opened).to_contain_text(PHONE)
        await expect(opened).to_contain_text("Nguyễn Thị Dung")
        await screenshot(page, pictures, "can-bo-the-don.png", opened)

        # The commune's chairman: the unit's open petitions, from the officer's menu.
        await person.switch_to("officer-pd.chutich")
        await person.type_and_enter("/start")
        await person.press("🏢 Đơn của đơn vị")
        unit_list = await person.bot_says("PD-2026-000001")
        await expect(unit_list).to_contain_text("Phú Đình")
        await screenshot(page, pictures, "lanh-dao-don-cua-don-vi.png", unit_list)

        # The province's inspector: the first quarter's report, built by a job, with its charts.
        await person.switch_to("officer-tt.thanhtravien")
        await person.type_and_enter("/start")
        await person.press("📑 Báo cáo")
        await person.press("📊 Báo cáo thống kê theo biểu mẫu")
        await person.press("Quý I/2026")
        await person.press("📑 Báo cáo: UBND tỉnh Thái Nguyên và đơn vị trực thuộc")
        await person.bot_says("Đang lập báo cáo")
        await due_jobs_done(sandbox_app, timeout=30)
        report = await person.bot_says("nhận 1 đơn")
        await expect(report).to_contain_text("từ 15/12/2025 đến 14/03/2026")
        await screenshot(page, pictures, "thanh-tra-bao-cao.png", report)

        for name in SCREENSHOTS:
            assert (pictures / name).stat().st_size > 0, name
        assert problems == [], problems
    except Exception:
        # Leave a picture of what the browser showed when a step failed.
        with contextlib.suppress(Exception):
            await page.screenshot(path=str(tmp_path / "failure.png"))
            print(f"screenshot of the failure: {tmp_path / 'failure.png'}")
        raise
    finally:
        await context.close()
