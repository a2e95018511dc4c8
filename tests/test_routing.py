"""Routing: which unit and which officer get a new petition."""

from __future__ import annotations

import tomllib

from bot.app import DEMO_ORG_FILE
from bot.domain.org import parse_organisation
from bot.domain.routing import pick_officer, route_unit

ORG = parse_organisation(tomllib.loads(DEMO_ORG_FILE.read_text(encoding="utf-8")))


def test_fields_route_to_their_office_and_complaints_to_reception() -> None:
    assert route_unit(ORG, "SP", "phan_anh", "giao_thong") == "SP-KT"
    assert route_unit(ORG, "SP", "kien_nghi", "y_te") == "SP-VHXH"
    assert route_unit(ORG, "SP", "khieu_nai", "dat_dai") == "SP-VP"
    assert route_unit(ORG, "TX", "khieu_nai", "dat_dai") == "TX-VP"


def test_denunciations_go_to_the_head_and_above_the_leaders_denounced() -> None:
    assert route_unit(ORG, "SP", "to_cao", "can_bo", "staff") == "SP"
    assert route_unit(ORG, "SP", "to_cao", "can_bo", "leader") == "TN"
    assert pick_officer(ORG, "TN", "to_cao", {}).handle == "tn.chutich"  # type: ignore[union-attr]


def test_the_least_loaded_reachable_officer_on_duty_is_chosen() -> None:
    both = {"sp.tiepdan", "sp.chanhvp"}
    assert pick_officer(ORG, "SP-VP", "khieu_nai", {}, both).handle == "sp.tiepdan"  # type: ignore[union-attr]
    # The clerk has no chat bound yet: the office head, who has, gets it rather than nobody.
    chosen = pick_officer(ORG, "SP-VP", "khieu_nai", {}, {"sp.chanhvp"})
    assert chosen is not None and chosen.handle == "sp.chanhvp"
    # Nobody reachable: still assigned, to the officer on duty, so it shows in their list.
    chosen = pick_officer(ORG, "SP-VP", "khieu_nai", {}, set())
    assert chosen is not None and chosen.handle == "sp.tiepdan"
