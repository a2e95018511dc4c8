"""People type instead of pressing: the words of a choice, without diacritics, «xã» or «UBND»,
or «số N», are understood on Telegram and on Zalo (bot.domain.words, handlers.picker)."""

from __future__ import annotations

from bot.app import Application
from bot.domain.words import fold, matching, number_typed
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import consent, up_to_the_communes


def test_names_are_folded_as_people_type_them() -> None:
    assert fold("UBND xã Phú Đình") == fold("phu dinh") == fold("Xã PHÚ ĐÌNH") == "phu dinh"
    assert fold("Đặc khu Côn Đảo") == fold("con dao")
    assert fold("Xóm") == "xom", "a name that is only a kind of place stays"
    assert [number_typed(t) for t in ("3", "số 3", "Số 12.", "#4", "160", "ba")] == [
        3,
        3,
        12,
        4,
        160,
        None,
    ]
    communes = [("a", "Xã Cốc Đán"), ("b", "UBND xã Thần Sa"), ("c", "Phường Sài Gòn")]
    assert matching(communes, "coc dan") == matching(communes, "xã cốc đán") == ["a"]
    assert matching(communes, "dan") == ["a"], "a word of the name, from its start"
    assert matching(communes, "x") == [], "one letter is not a search"
    assert matching(communes, "hà nội") == []


async def test_a_complaint_filed_on_telegram_by_typing_the_choices(
    app: Application, telegram: FakeTelegram
) -> None:
    citizen = telegram.user(8101)
    await consent(citizen)
    await citizen.send_text("gửi đơn")
    assert "loại đơn" in (await citizen.next_reply()).text
    await citizen.send_text("khieu nai")
    assert "lĩnh vực" in (await citizen.next_reply()).text
    await citizen.send_text("Đất Đai")
    assert "xã nào" in (await citizen.next_reply()).text
    await citizen.send_text("thần sa")
    villages = await citizen.next_reply()
    assert "xóm nào" in villages.text
    await citizen.send_text("hà nội")  # no such village: a few words about the place
    assert "kể lại sự việc" in (await citizen.next_reply()).text


async def test_a_typed_name_that_is_no_commune_is_said_so_and_the_list_stays(
    app: Application, telegram: FakeTelegram
) -> None:
    citizen = telegram.user(8102)
    await up_to_the_communes(citizen)
    await citizen.send_text("Cốc Đán")
    refusal = await citizen.next_reply()
    assert "Cốc Đán" in refusal.text and "gõ lại tên" in refusal.text
    assert not refusal.buttons and len(refusal.text) < 200, "one line; the list stays above"
    await citizen.send_text("xa phu dinh")
    assert "xóm nào" in (await citizen.next_reply()).text
    await citizen.send_text("lang bay")
    assert "kể lại sự việc" in (await citizen.next_reply()).text


async def test_agreeing_to_the_privacy_notice_in_words_on_telegram(
    app: Application, telegram: FakeTelegram
) -> None:
    citizen = telegram.user(8103)
    await citizen.send_command("/start")
    assert "dữ liệu cá nhân" in (await citizen.next_reply()).text
    await citizen.send_text("Đồng ý")
    assert "Xin chào" in (await citizen.next_reply()).text
