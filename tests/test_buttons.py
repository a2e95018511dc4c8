"""Typed button data (`bot.buttons`): what is packed is parsed back, within Telegram's 64 bytes,
and data that does not fit its kind never reaches a handler."""

from __future__ import annotations

import aiohttp
import pytest

from bot.app import Application
from bot.buttons import KINDS, AnswerDecision, ExtensionDecision, PetitionAction, Rate
from tests.sandbox_client import SandboxPerson, texts
from tests.test_filing_sandbox import consent


def test_packed_data_is_parsed_back_and_fits_telegram() -> None:
    for data in (
        Rate(123456789012, 5),
        PetitionAction(9_007_199_254_740_993, "ask_citizen"),
        AnswerDecision(1, 2, "yes"),
        ExtensionDecision(42, "especially_complex", "no"),
    ):
        packed = data.pack()
        prefix, _, argument = packed.partition(":")
        assert len(packed.encode()) <= 64
        assert KINDS[prefix].parse(argument) == data


def test_too_long_data_is_refused_when_packed() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        PetitionAction(1, "x" * 60).pack()


@pytest.mark.parametrize(
    "argument",
    ["", "1", "1.5.6", "x.5", "1.²", "1." + "9" * 19, "-1.5", "1.5 ", "1;5"],
)
def test_data_that_does_not_fit_its_kind_is_not_parsed(argument: str) -> None:
    assert Rate.parse(argument) is None


async def test_malformed_data_gets_the_polite_refusal_and_changes_nothing(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-3")
    await consent(citizen)
    for data in ("cr:1", "cr:1.x", "ca:abc", "mp:1.2", "op:", "pa:1"):
        lines = await citizen.act({"kind": "callback", "data": data})
        assert "bot không hiểu nút vừa bấm" in texts(lines), data


def test_a_heads_decision_is_yes_or_no() -> None:
    assert AnswerDecision.parse("1.2.yes") == AnswerDecision(1, 2, "yes")
    assert AnswerDecision.parse("1.2.maybe") is None
    assert ExtensionDecision.parse("1.complex.x") is None
