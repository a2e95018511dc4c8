"""Phone numbers as people type them, and codes as printed on receipts."""

from __future__ import annotations

import pytest

from bot.domain.petition import format_code, mask_phone, normalise_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0912 345 678", "0912345678"),
        ("+84 912.345.678", "0912345678"),
        ("0084912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0559 123 456", "0559123456"),
        ("(0208) 3851 234", "02083851234"),
        ("842083851234", "02083851234"),
    ],
)
def test_vietnamese_numbers_are_accepted_in_the_forms_people_type(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "0112345678", "091234567", "không có", "0912 345 6789"])
def test_what_is_not_a_vietnamese_number_is_refused(typed: str) -> None:
    assert normalise_phone(typed) is None


def test_lists_show_only_the_ends_of_a_phone_and_codes_have_six_digits() -> None:
    assert mask_phone("0912345678") == "091****678"
    assert format_code("PD", 2026, 123) == "PD-2026-000123"
