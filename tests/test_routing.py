"""Routing: which unit and which officer get a new petition."""

from __future__ import annotations

import tomllib

from bot.app import DEMO_ORG_FILE
from bot.domain.org import parse_organisation
from bot.domain.routing import pick_officer, route_unit

ORG = parse_organisation(tomllib.loads(DEMO_ORG_FILE.read_text(encoding="utf-8")))


def test_fields_route_to_their_office_and_complaints_to_reception() -> None:
    assert route_unit(ORG, "PD", "phan_anh", "giao_thong") == "PD-KT"
    assert route_unit(ORG, "PD", "kien_nghi", "y_te") == "PD-VHXH"
    assert route_unit(ORG, "PD", "khieu_nai", "dat_dai") == "PD-VP"
    assert route_unit(ORG, "TS", "khieu_nai", "dat_dai") == "TS-VP"


def test_denunciations_go_to_the_head_and_above_the_leaders_denounced() -> None:
    assert route_unit(ORG, "PD", "to_cao", "can_bo", "staff") == "PD"
    assert route_unit(ORG, "PD", "to_cao", "can_bo", "leader") == "TN"
    assert pick_officer(ORG, "TN", "to_cao", {}).handle == "tn.chutich"  # type: ignore[union-attr]


def test_the_least_loaded_reachable_officer_on_duty_is_chosen() -> None:
    both = {"pd.tiepdan", "pd.chanhvp"}
    assert pick_officer(ORG, "PD-VP", "khieu_nai", {}, both).handle == "pd.tiepdan"  # type: ignore[union-attr]
    # The clerk has no chat bound yet: the office head, who has, gets it rather than nobody.
    chosen = pick_officer(ORG, "PD-VP", "khieu_nai", {}, {"pd.chanhvp"})
    assert chosen is not None and chosen.handle == "pd.chanhvp"
    # Nobody reachable: still assigned, to the officer on duty, so it shows in their list.
    chosen = pick_officer(ORG, "PD-VP", "khieu_nai", {}, set())
    assert chosen is not None and chosen.handle == "pd.tiepdan"
