"""Reports: periods, the figures the database counts, the form templates, the XLSX, the CLI.

One fixture data set for Q1 2026 (15/12/2025 to 14/03/2026 in Vietnam) over the demo province;
every expected number below is counted by hand from the fixture, not by the code.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from bot.app import load_organisation, prepare_database
from bot.i18n import LOCAL_TZ
from bot.reporting.forms import FORMS_DIR, FormError, load_form, load_forms
from bot.reporting.metrics import (
    Durations,
    Figures,
    Petitions,
    Receptions,
    ReportMetrics,
    Resolutions,
    Satisfaction,
    Visits,
    unit_rows,
)
from bot.reporting.periods import (
    Period,
    PeriodError,
    ScopeError,
    date_range,
    parse_period,
    preset_period,
    scope_units,
)
from bot.reporting.workbook import ReportContent, ReportHeading, write_report
from storage import models as m
from storage.db import Database
from storage.repository import SqlStore
from tests.conftest import database_url, make_settings

ORG = load_organisation(None)
Q1 = preset_period(2026, "Q1")
M = None  # a manual column: left blank for an officer


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


# --- periods -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        ("Q1", date(2025, 12, 15), date(2026, 3, 14)),
        ("Q2", date(2026, 3, 15), date(2026, 6, 14)),
        ("Q3", date(2026, 6, 15), date(2026, 9, 14)),
        ("Q4", date(2026, 9, 15), date(2026, 12, 14)),
        ("H1", date(2025, 12, 15), date(2026, 6, 14)),
        ("9M", date(2025, 12, 15), date(2026, 9, 14)),
        ("Y", date(2025, 12, 15), date(2026, 12, 14)),
    ],
)
def test_presets_follow_the_circulars_cutoff(preset: str, first: date, last: date) -> None:
    period = preset_period(2026, preset)
    assert (period.first_day, period.last_day, period.name) == (first, last, f"2026-{preset}")


def test_cutoff_day_is_configurable_and_1_means_calendar_periods() -> None:
    q1 = preset_period(2026, "Q1", cutoff_day=1)
    assert (q1.first_day, q1.last_day) == (date(2026, 1, 1), date(2026, 3, 31))
    year = preset_period(2024, "Y", cutoff_day=1)
    assert (year.first_day, year.last_day) == (date(2024, 1, 1), date(2024, 12, 31))
    q2 = preset_period(2026, "Q2", cutoff_day=20)
    assert (q2.first_day, q2.last_day) == (date(2026, 3, 20), date(2026, 6, 19))


def test_periods_are_local_days_asked_as_utc_instants() -> None:
    assert Q1.starts_at == datetime(2025, 12, 14, 17, 0, tzinfo=UTC)
    assert Q1.ends_before == datetime(2026, 3, 14, 17, 0, tzinfo=UTC)
    assert parse_period("q3", default_year=2027) == preset_period(2027, "Q3")
    assert parse_period("2026-9m", default_year=2030) == preset_period(2026, "9M")
    custom = date_range(date(2026, 2, 1), date(2026, 2, 1))
    assert (custom.starts_at, custom.ends_before) == (
        datetime(2026, 1, 31, 17, 0, tzinfo=UTC),
        datetime(2026, 2, 1, 17, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize("text", ["Q5", "2026-H2", "26-Q1", "", "2026Q1"])
def test_unreadable_periods_are_refused(text: str) -> None:
    with pytest.raises(PeriodError, match="not a period"):
        parse_period(text, default_year=2026)


def test_bad_ranges_cutoffs_and_units_are_refused() -> None:
    with pytest.raises(PeriodError, match="before it starts"):
        date_range(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(PeriodError, match="cut-off day 29"):
        preset_period(2026, "Q1", cutoff_day=29)
    with pytest.raises(ScopeError, match="XX"):
        scope_units(ORG, "XX")


def test_scope_is_a_unit_alone_or_with_everything_under_it() -> None:
    assert scope_units(ORG, "PD") == ["PD", "PD-VP", "PD-KT", "PD-VHXH"]
    assert scope_units(ORG, "PD", below=False) == ["PD"]
    assert scope_units(ORG, "TN") == list(ORG.units)


# --- the fixture ---------------------------------------------------------------------------------


class Fixture:
    """Writes the data set; petitions are named P1… in the comments of `fill`."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.serial = 0

    async def officer(self, handle: str) -> int:
        officer_id = await self.session.scalar(
            select(m.Officer.id).where(m.Officer.handle == handle)
        )
        assert officer_id is not None
        return int(officer_id)

    async def petition(
        self,
        unit: str,
        kind: str,
        field: str,
        state: str,
        received: datetime,
        *,
        channel: str = "telegram",
        instance: int = 1,
        group_size: int = 1,
        outcome: str | None = None,
        events: tuple[tuple[str, datetime], ...] = (),
        deadlines: tuple[tuple[str, date, date, str], ...] = (),
        rating: tuple[int, datetime] | None = None,
    ) -> int:
        self.serial += 1
        accepted = next((at for action, at in events if action == "accept"), None)
        row = m.Petition(
            code=f"T-{self.serial:04d}",
            kind=kind,
            field=field,
            unit_code=unit,
            state=state,
            instance=instance,
            group_size=group_size,
            content="Nội dung",
            channel=channel,
            received_at=received,
            accepted_at=accepted,
            closed_at=next((at for a, at in events if a in {"refuse", "forward"}), None),
            outcome=outcome,
        )
        self.session.add(row)
        await self.session.flush()
        self.session.add(
            m.PetitionEvent(petition_id=row.id, at=received, actor="c", action="received")
        )
        for action, at in events:
            self.session.add(m.PetitionEvent(petition_id=row.id, at=at, actor="o", action=action))
        for rule_id, start, due, status in deadlines:
            self.session.add(
                m.Deadline(
                    petition_id=row.id,
                    rule_id=rule_id,
                    start_date=start,
                    due_date=due,
                    status=status,
                )
            )
        if rating:
            self.session.add(m.Rating(petition_id=row.id, score=rating[0], rated_at=rating[1]))
        await self.session.flush()
        return row.id

    async def reception(
        self,
        unit: str,
        kind: str,
        at: datetime,
        *,
        head: bool = False,
        people: int = 1,
        petition: int | None = None,
    ) -> None:
        self.session.add(
            m.Reception(
                unit_code=unit,
                recorded_by=await self.officer("pd.tiepdan"),
                received_at=at,
                kind=kind,
                head_in_person=head,
                group_size=people,
                content="Nội dung",
                outcome="petition" if petition else "explained",
                petition_id=petition,
            )
        )

    async def dialogue(self, unit: str, state: str, held: datetime | None) -> None:
        leader = await self.officer("pd.chutich")
        starts = held or local(2026, 2, 1)
        self.session.add(
            m.Dialogue(
                unit_code=unit,
                leader_id=leader,
                created_by=leader,
                topic="Đối thoại",
                starts_at=starts,
                capacity=50,
                registration_closes_at=starts,
                state=state,
                created_at=local(2025, 12, 1),
                held_at=held,
            )
        )


async def fill(session: Any) -> None:
    """The data set: in Q1 unless said otherwise; times are Hà Nội times."""
    f = Fixture(session)
    d = date
    # P1: complaint, accepted 3 days after receipt, answered on time (46 days), rated 5.
    p1 = await f.petition(
        "PD-VP", "khieu_nai", "dat_dai", "closed", local(2026, 1, 5),
        outcome="correct",
        events=(("accept", local(2026, 1, 8)), ("answer", local(2026, 2, 20))),
        deadlines=(
            ("kn1.accept", d(2026, 1, 5), d(2026, 1, 15), "met"),
            ("kn1.resolve", d(2026, 1, 8), d(2026, 3, 9), "met"),
        ),
        rating=(5, local(2026, 2, 21)),
    )  # fmt: skip
    # P2: a group complaint of 6 people: answered late (59 days) after its due 25/02; a later,
    # superseded deadline with the same start must not count.
    p2 = await f.petition(
        "PD-VP", "khieu_nai", "dat_dai", "answered", local(2026, 1, 10),
        channel="sandbox", group_size=6, outcome="partly",
        events=(("accept", local(2026, 1, 12)), ("answer", local(2026, 3, 10))),
        deadlines=(
            ("kn1.resolve", d(2026, 1, 12), d(2026, 2, 25), "met"),
            ("kn1.resolve", d(2026, 1, 12), d(2026, 3, 30), "superseded"),
        ),
    )  # fmt: skip
    # P3: denunciation answered late (71 days), rated 2.
    await f.petition(
        "PD-KT", "to_cao", "moi_truong", "answered", local(2025, 12, 20),
        outcome="incorrect",
        events=(("accept", local(2025, 12, 22)), ("answer", local(2026, 3, 1))),
        deadlines=(("tc.resolve", d(2025, 12, 22), d(2026, 2, 20), "met"),),
        rating=(2, local(2026, 3, 2)),
    )  # fmt: skip
    # P4: received at the first instant of Q1 (15/12/2025 00:00), accepted a day later.
    p4 = await f.petition(
        "PD-KT", "to_cao", "xay_dung", "accepted", local(2025, 12, 15, 0, 0),
        channel="reception", events=(("accept", local(2025, 12, 16, 0, 0)),),
    )  # fmt: skip
    # P5: received at the last minute of Q1 (14/03/2026 23:59).
    await f.petition("PD-VHXH", "kien_nghi", "y_te", "received", local(2026, 3, 14, 23, 59))
    # P6: received at the first instant of Q2 (15/03/2026 00:00), guided in Q2: not in Q1.
    await f.petition(
        "PD-VHXH", "phan_anh", "giao_thong", "guided", local(2026, 3, 15, 0, 0),
        events=(("guide", local(2026, 3, 16)),),
    )  # fmt: skip
    # P7: received at the last minute before Q1, guided in Q1: carried over, then guided.
    await f.petition(
        "PD-VP", "phan_anh", "giao_thong", "guided", local(2025, 12, 14, 23, 59),
        events=(("guide", local(2025, 12, 16)),),
    )  # fmt: skip
    # P8: petition from November, answered before Q1, reopened, answered again on 03/01/2026
    # (63 days after receipt): on time against the reopened period's deadline, not the first.
    await f.petition(
        "PD-VP", "kien_nghi", "thu_tuc_hanh_chinh", "answered", local(2025, 11, 1),
        events=(
            ("accept", local(2025, 11, 3)),
            ("answer", local(2025, 12, 1)),
            ("reopen", local(2025, 12, 5)),
            ("answer", local(2026, 1, 3)),
        ),
        deadlines=(
            ("don.process", d(2025, 11, 1), d(2025, 11, 10), "met"),
            ("pakn.answer", d(2025, 11, 1), d(2025, 12, 10), "met"),
            ("pakn.answer", d(2025, 12, 5), d(2026, 1, 5), "met"),
        ),
        rating=(1, local(2025, 12, 2)),
    )  # fmt: skip
    # P16: petition from October, answered late in Q1 (111 days after receipt): with P8, one
    # group of answers (Phú Đình's office, kiến nghị, no outcome) holds one on time, one late.
    await f.petition(
        "PD-VP", "kien_nghi", "thu_tuc_hanh_chinh", "answered", local(2025, 10, 1),
        events=(("accept", local(2025, 10, 2)), ("answer", local(2026, 1, 20))),
        deadlines=(("pakn.answer", d(2025, 10, 1), d(2025, 11, 10), "met"),),
    )  # fmt: skip
    # P9: refused; P11: a denunciation of 3 signers, forwarded.
    await f.petition(
        "TS-VP", "kien_nghi", "khac", "refused", local(2026, 2, 1),
        events=(("refuse", local(2026, 2, 3)),),
    )  # fmt: skip
    # P10: second complaint, accepted after 3 days, upheld on time (39 days), rated 4.
    await f.petition(
        "TS", "khieu_nai", "dat_dai", "answered", local(2026, 2, 1),
        instance=2, outcome="upheld",
        events=(("accept", local(2026, 2, 4)), ("answer", local(2026, 3, 12))),
        deadlines=(("kn2.resolve", d(2026, 2, 4), d(2026, 3, 20), "met"),),
        rating=(4, local(2026, 3, 13)),
    )  # fmt: skip
    await f.petition(
        "TS-VP", "to_cao", "can_bo", "forwarded", local(2026, 1, 8),
        group_size=3, events=(("forward", local(2026, 1, 10)),),
    )  # fmt: skip
    # P12: a dialogue's commitment at the province, still undecided.
    await f.petition(
        "TN", "kien_nghi", "moi_truong", "received", local(2026, 1, 20), channel="dialogue"
    )
    # P14: received before Q1, never decided: carried over.
    await f.petition("PD-KT", "khieu_nai", "dat_dai", "received", local(2025, 12, 1))
    # P15: feedback answered 3 days after receipt; its only deadline is an intake one, met
    # before the answer and due before it: the answer had no answer deadline, so it is on time.
    await f.petition(
        "TN-TT", "phan_anh", "khac", "answered", local(2026, 3, 2),
        events=(("accept", local(2026, 3, 3)), ("answer", local(2026, 3, 5))),
        deadlines=(("don.process", d(2026, 3, 2), d(2026, 3, 4), "met"),),
    )  # fmt: skip

    # Receptions (People's Committees): R1-R3 regular at Phú Đình, two of them about P2.
    await f.reception("PD", "regular", local(2026, 1, 10))
    await f.reception("PD", "regular", local(2026, 1, 10, 14), people=7, petition=p2)
    await f.reception("PD", "regular", local(2026, 1, 12), people=2, petition=p2)
    # R4, R5: one reception day (20/01 in Vietnam, two days in UTC), the head in person.
    await f.reception("PD", "scheduled", local(2026, 1, 20, 6), head=True)
    await f.reception("PD", "scheduled", local(2026, 1, 20, 9), head=True, people=5, petition=p4)
    await f.reception("PD", "scheduled", local(2026, 1, 27, 8))  # R6: delegated
    await f.reception("PD", "unscheduled", local(2026, 2, 5, 10), head=True, people=12, petition=p1)
    await f.reception("TS", "regular", local(2026, 3, 14, 23, 30))  # R8: last half hour of Q1
    await f.reception("TS", "regular", local(2026, 3, 15, 0, 0))  # R9: Q2
    await f.reception("TS", "unscheduled", local(2025, 12, 15, 0, 0), people=3)  # R10
    await f.reception("TN", "scheduled", local(2026, 3, 3), head=True)  # R11

    await f.dialogue("PD", "held", local(2026, 2, 10))
    await f.dialogue("PD", "held", local(2026, 3, 20))  # Q2
    await f.dialogue("TS", "announced", None)
    await f.dialogue("TN", "held", local(2026, 3, 14, 23))


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await prepare_database(make_settings(tmp_path), ORG)
    async with db.transaction() as session:
        await fill(session)
    try:
        yield db
    finally:
        await db.close()


async def report_for(db: Database, period: Period, unit: str = "TN") -> ReportMetrics:
    async with db.snapshot() as session:
        return await SqlStore(session).report_metrics(period, scope_units(ORG, unit))


# --- the figures, unit by unit -------------------------------------------------------------------

EXPECTED_UNITS = {
    "TN": Figures(
        petitions=Petitions(
            received=1,
            by_kind={"kien_nghi": 1},
            by_field={"moi_truong": 1},
            by_state={"received": 1},
            by_channel={"dialogue": 1},
        ),
        receptions=Receptions(scheduled_in_person=Visits(1, 1, 1, 1, 0)),
        dialogues_held=1,
    ),
    "TN-TT": Figures(
        petitions=Petitions(
            received=1,
            accepted=1,
            answered=1,
            answered_on_time=1,
            by_kind={"phan_anh": 1},
            by_field={"khac": 1},
            by_state={"answered": 1},
            by_channel={"telegram": 1},
            accepted_by_kind={"phan_anh": 1},
            eligible_by_field={"khac": 1},
        )
    ),
    "PD": Figures(
        receptions=Receptions(
            regular=Visits(sessions=2, visits=3, people=10, matters=2, groups=1),
            scheduled_in_person=Visits(sessions=1, visits=2, people=6, matters=2, groups=1),
            scheduled_delegated=Visits(1, 1, 1, 1, 0),
            unscheduled_in_person=Visits(sessions=1, visits=1, people=12, matters=1, groups=1),
        ),
        dialogues_held=1,
    ),
    "PD-VP": Figures(
        petitions=Petitions(
            received=2,
            several_signers=1,
            group_petitions=1,
            group_people=6,
            carried_over=1,
            accepted=2,
            guided=1,
            answered=4,
            answered_on_time=2,
            answered_late=2,
            by_kind={"khieu_nai": 2},
            by_field={"dat_dai": 2},
            by_state={"closed": 1, "answered": 1},
            by_channel={"telegram": 1, "sandbox": 1},
            accepted_by_kind={"khieu_nai": 2},
            eligible_by_field={"dat_dai": 2, "giao_thong": 1},
        ),
        complaints=Resolutions(
            accepted_first=2, answered=2, correct=1, partly=1, on_time=1, late=1
        ),
        satisfaction=Satisfaction(ratings=1, satisfied=1, score_total=5),
    ),
    "PD-KT": Figures(
        petitions=Petitions(
            received=2,
            carried_over=1,
            accepted=2,
            answered=1,
            answered_late=1,
            by_kind={"to_cao": 2},
            by_field={"moi_truong": 1, "xay_dung": 1},
            by_state={"answered": 1, "accepted": 1},
            by_channel={"telegram": 1, "reception": 1},
            accepted_by_kind={"to_cao": 2},
            eligible_by_field={"moi_truong": 1, "xay_dung": 1},
        ),
        denunciations=Resolutions(accepted_first=2, answered=1, incorrect=1, late=1),
        satisfaction=Satisfaction(ratings=1, satisfied=0, score_total=2),
    ),
    "PD-VHXH": Figures(
        petitions=Petitions(
            received=1,
            by_kind={"kien_nghi": 1},
            by_field={"y_te": 1},
            by_state={"received": 1},
            by_channel={"telegram": 1},
        )
    ),
    "TS": Figures(
        petitions=Petitions(
            received=1,
            accepted=1,
            answered=1,
            answered_on_time=1,
            by_kind={"khieu_nai": 1},
            by_field={"dat_dai": 1},
            by_state={"answered": 1},
            by_channel={"telegram": 1},
            accepted_by_kind={"khieu_nai": 1},
            eligible_by_field={"dat_dai": 1},
        ),
        complaints=Resolutions(accepted_second=1, answered=1, upheld=1, on_time=1),
        receptions=Receptions(
            regular=Visits(1, 1, 1, 1, 0), unscheduled_delegated=Visits(1, 1, 3, 1, 0)
        ),
        satisfaction=Satisfaction(ratings=1, satisfied=1, score_total=4),
    ),
    "TS-VP": Figures(
        petitions=Petitions(
            received=2,
            several_signers=1,
            refused=1,
            forwarded=1,
            by_kind={"kien_nghi": 1, "to_cao": 1},
            by_field={"khac": 1, "can_bo": 1},
            by_state={"refused": 1, "forwarded": 1},
            by_channel={"telegram": 2},
            eligible_by_field={"can_bo": 1},
        )
    ),
}


async def test_every_figure_of_every_unit(database: Database) -> None:
    report = await report_for(database, Q1)
    assert report.period == Q1
    assert list(report.units) == ["TN", "TN-TT", "PD", "PD-VP", "PD-KT", "PD-VHXH", "TS", "TS-VP"]
    for unit, expected in EXPECTED_UNITS.items():
        assert report.units[unit] == expected, unit


async def test_every_figure_of_the_whole_scope(database: Database) -> None:
    total = (await report_for(database, Q1)).total
    petitions = total.petitions
    assert petitions == Petitions(
        received=10,
        several_signers=2,
        group_petitions=1,
        group_people=6,
        carried_over=2,
        accepted=6,
        refused=1,
        forwarded=1,
        guided=1,
        answered=7,
        answered_on_time=4,
        answered_late=3,
        by_kind={"khieu_nai": 3, "to_cao": 3, "kien_nghi": 3, "phan_anh": 1},
        by_field={"dat_dai": 3, "moi_truong": 2, "xay_dung": 1, "y_te": 1, "khac": 2, "can_bo": 1},
        by_state={
            "closed": 1,
            "answered": 4,
            "accepted": 1,
            "received": 2,
            "refused": 1,
            "forwarded": 1,
        },
        by_channel={"telegram": 7, "sandbox": 1, "reception": 1, "dialogue": 1},
        accepted_by_kind={"khieu_nai": 3, "to_cao": 2, "phan_anh": 1},
        eligible_by_field={
            "dat_dai": 3,
            "giao_thong": 1,
            "moi_truong": 1,
            "xay_dung": 1,
            "khac": 1,
            "can_bo": 1,
        },
    )
    assert (petitions.one_signer, petitions.in_hand) == (8, 12)
    assert (petitions.eligible, petitions.handled) == (8, 9)
    assert petitions.on_time_share == pytest.approx(4 / 7)
    assert total.complaints == Resolutions(
        accepted_first=2,
        accepted_second=1,
        answered=3,
        correct=1,
        partly=1,
        upheld=1,
        on_time=2,
        late=1,
    )
    assert total.complaints.accepted == 3
    assert total.denunciations == Resolutions(accepted_first=2, answered=1, incorrect=1, late=1)
    assert total.receptions == Receptions(
        regular=Visits(sessions=3, visits=4, people=11, matters=3, groups=1),
        scheduled_in_person=Visits(sessions=2, visits=3, people=7, matters=3, groups=1),
        scheduled_delegated=Visits(1, 1, 1, 1, 0),
        unscheduled_in_person=Visits(sessions=1, visits=1, people=12, matters=1, groups=1),
        unscheduled_delegated=Visits(1, 1, 3, 1, 0),
    )
    assert total.receptions.total == Visits(sessions=8, visits=10, people=34, matters=9, groups=3)
    assert total.dialogues_held == 2
    assert total.satisfaction == Satisfaction(ratings=3, satisfied=2, score_total=11)
    assert total.satisfaction.share_satisfied == pytest.approx(2 / 3)
    assert total.satisfaction.average_score == pytest.approx(11 / 3)
    # To acceptance: 1, 1, 2, 2, 3, 3 days; to answer: 3, 39, 46, 59, 63, 71, 111 days. The 90th
    # percentile is the nearest rank: the 6th of 6 (⌈0.9 × 6⌉ = 6), the 7th of 7 (⌈6.3⌉ = 7).
    assert total.to_acceptance == Durations(count=6, average_days=2.0, p90_days=3.0)
    assert total.to_answer is not None
    assert total.to_answer.count == 7
    assert total.to_answer.average_days == pytest.approx(56.0)
    assert total.to_answer.p90_days == pytest.approx(111.0)


async def test_the_cutoff_boundaries_from_the_other_side(database: Database) -> None:
    # Q2 starts at 15/03/2026 00:00: P6 (received then, guided 16/03), R9, the dialogue of 20/03.
    total = (await report_for(database, preset_period(2026, "Q2"))).total
    assert (total.petitions.received, total.petitions.by_field) == (1, {"giao_thong": 1})
    assert (total.petitions.guided, total.petitions.carried_over) == (1, 3)  # P5, P12, P14
    assert total.receptions.total.visits == 1
    assert total.dialogues_held == 1
    assert total.to_acceptance == Durations() and total.to_answer == Durations()


async def test_a_scope_counts_only_its_units(database: Database) -> None:
    commune = await report_for(database, Q1, "PD")
    assert list(commune.units) == ["PD", "PD-VP", "PD-KT", "PD-VHXH"]
    assert commune.total.petitions.received == 5
    assert commune.total.receptions.total.visits == 7
    # Durations are of the scope: acceptances of P1, P2, P3, P4 (3, 2, 2, 1 days).
    assert commune.to_acceptance == Durations(count=4, average_days=2.0, p90_days=3.0)


# --- the forms -----------------------------------------------------------------------------------

NAMES = [
    "UBND tỉnh Thái Nguyên",
    "Thanh tra tỉnh Thái Nguyên",
    "UBND xã Phú Đình",
    "UBND xã Thần Sa",
]
TOTAL = "Tổng cộng"
Z5 = [0, 0, 0, 0, 0]

# Every data cell of each unit form, by row (four units rolled up, then the total).
EXPECTED_CELLS: dict[str, dict[str, list[Any]]] = {
    "01-TCD": {
        NAMES[0]: [1, 1, 1, 0, 0, 0, 0, M, M, 0, 1, 1, 1, 1, 0, *Z5, *Z5, *Z5],
        NAMES[1]: [0, 0, 0, 0, 0, 0, 0, M, M, 0, *Z5, *Z5, *Z5, *Z5],
        NAMES[2]: [
            *(7, 29, 6, 3),
            *(3, 10, 2, M, M, 1),
            *(1, 2, 6, 2, 1),
            *(1, 1, 1, 1, 0),
            *(1, 1, 12, 1, 1),
            *Z5,
        ],
        NAMES[3]: [2, 4, 2, 0, 1, 1, 1, M, M, 0, *Z5, *Z5, *Z5, 1, 1, 3, 1, 0],
        TOTAL: [
            *(10, 34, 9, 3),
            *(4, 11, 3, M, M, 1),
            *(2, 3, 7, 3, 1),
            *(1, 1, 1, 1, 0),
            *(1, 1, 12, 1, 1),
            *(1, 1, 3, 1, 0),
        ],
    },
    "02-XLD": {
        NAMES[0]: [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, M, M, 0, M, M, M, M, M, 0, 0, 0, 0, 0, 0, M, M],
        NAMES[1]: [1, 0, 0, 1, 1, 1, 1, 0, 0, 0, M, M, 1, M, M, M, M, M, 0, 0, 0, 1, 0, 0, M, M],
        NAMES[2]: [7, 2, 1, 4, 5, 5, 5, 0, 3, 2, M, M, 0, M, M, M, M, M, 2, 0, 2, 0, 1, 0, M, M],
        NAMES[3]: [3, 0, 1, 2, 3, 2, 2, 0, 1, 1, M, M, 0, M, M, M, M, M, 0, 1, 0, 0, 0, 1, M, M],
        TOTAL: [12, 2, 2, 8, 9, 8, 8, 0, 4, 3, M, M, 1, M, M, M, M, M, 2, 1, 2, 1, 1, 1, M, M],
    },
    "03-Khiếu nại": {
        NAMES[0]: [0, 0, 0, 0, M, 0, 0, 0, 0, 0, M, M, M, M, M, M, M, 0, 0],
        NAMES[1]: [0, 0, 0, 0, M, 0, 0, 0, 0, 0, M, M, M, M, M, M, M, 0, 0],
        NAMES[2]: [2, 2, 2, 2, M, 1, 0, 1, 0, 0, M, M, M, M, M, M, M, 1, 1],
        NAMES[3]: [1, 1, 1, 1, M, 0, 0, 0, 1, 0, M, M, M, M, M, M, M, 1, 0],
        TOTAL: [3, 3, 3, 3, M, 1, 0, 1, 1, 0, M, M, M, M, M, M, M, 2, 1],
    },
    "04-Tố cáo": {
        NAMES[0]: [0, 0, 0, 0, 0, 0, M, M, M, M, M, M, M, 0, 0],
        NAMES[1]: [0, 0, 0, 0, 0, 0, M, M, M, M, M, M, M, 0, 0],
        NAMES[2]: [2, 2, 1, 0, 1, 0, M, M, M, M, M, M, M, 0, 1],
        NAMES[3]: [0, 0, 0, 0, 0, 0, M, M, M, M, M, M, M, 0, 0],
        TOTAL: [2, 2, 1, 0, 1, 0, M, M, M, M, M, M, M, 0, 1],
    },
    "Chỉ số đơn vị": {
        NAMES[0]: [1, 0, 0, 0, 0, 0, None, 0, None, None, 1],
        NAMES[1]: [1, 0, 1, 1, 1, 0, 1.0, 0, None, None, 0],
        NAMES[2]: [5, 1, 4, 5, 2, 3, 0.4, 2, 0.5, 3.5, 1],
        NAMES[3]: [3, 0, 1, 1, 1, 0, 1.0, 1, 1.0, 4.0, 0],
        TOTAL: [10, 1, 6, 7, 4, 3, 4 / 7, 3, 2 / 3, 11 / 3, 2],
    },
}

_ = None  # a heading row of the summary
FIELD_ROWS = [
    ("– Đất đai", 3),
    ("– Môi trường", 2),
    ("– Xây dựng", 1),
    ("– Giao thông", 0),
    ("– Chính sách xã hội", 0),
    ("– Y tế", 1),
    ("– Giáo dục", 0),
    ("– An ninh, trật tự", 0),
    ("– Thủ tục hành chính", 0),
    ("– Thái độ, hành vi của cán bộ", 1),
    ("– Lĩnh vực khác", 2),
]
# The summary sheet, row by row: the value of each.
EXPECTED_SUMMARY = [
    *(_, 2, 10, 2, 1, 6, 9, 8, 6, 1, 1, 1, 7, 4, 3, 4 / 7),
    *(_, 3, 3, 3, 1),
    _,
    *(value for _label, value in FIELD_ROWS),
    *(_, 2, 1, 0, 0, 0, 0, 4, 1, 0, 1, 1, 0),
    *(_, 7, 0, 0, 1, 1, 1),  # by channel: Telegram, Zalo bot, Zalo OA, sandbox, reception, dialogue
    *(_, 6, 2.0, 3.0, 7, 56.0, 111.0),
    *(_, 2, 1, 3, 1, 1, 0, 1, 0, 2, 1),
    *(_, 2, 1, 0, 0, 1, 0, 1),
    *(_, 10, 34, 9, 3, 4, 3, 1, 1, 1),
    *(_, 2, 3, 2 / 3, 11 / 3),
]


@pytest.fixture
async def workbook(database: Database, tmp_path: Path) -> openpyxl.Workbook:
    report = await report_for(database, Q1)
    fields = {"dat_dai": "Đất đai", "moi_truong": "Môi trường", "xay_dung": "Xây dựng"}
    fields |= {
        "giao_thong": "Giao thông",
        "chinh_sach_xa_hoi": "Chính sách xã hội",
        "y_te": "Y tế",
        "giao_duc": "Giáo dục",
        "an_ninh_trat_tu": "An ninh, trật tự",
        "thu_tuc_hanh_chinh": "Thủ tục hành chính",
        "can_bo": "Thái độ, hành vi của cán bộ",
        "khac": "Lĩnh vực khác",
    }
    path = tmp_path / "report.xlsx"
    write_report(
        path,
        load_forms(),
        ReportHeading("UBND tỉnh Thái Nguyên", Q1, "Thái Nguyên", date(2026, 3, 20)),
        ReportContent(unit_rows(ORG, "TN", report), report.total, {"fields": fields}),
    )
    return openpyxl.load_workbook(path)


def rows_by_label(sheet: Any) -> dict[str, list[Any]]:
    found = {}
    for row in sheet.iter_rows(values_only=True):
        if row[0] in {*NAMES, TOTAL}:
            found[row[0]] = list(row[1:])
    return found


def test_the_workbook_has_a_sheet_per_form_and_a_summary(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == [
        "Tổng hợp",
        "01-TCD",
        "02-XLD",
        "03-Khiếu nại",
        "04-Tố cáo",
        "Chỉ số đơn vị",
        "Chỉ số hài lòng",
    ]


@pytest.mark.parametrize("sheet_name", list(EXPECTED_CELLS))
def test_every_cell_of_the_unit_forms(workbook: openpyxl.Workbook, sheet_name: str) -> None:
    found = rows_by_label(workbook[sheet_name])
    assert list(found) == [*NAMES, TOTAL]
    for label, expected in EXPECTED_CELLS[sheet_name].items():
        actual = found[label][: len(expected)]
        assert actual == pytest.approx(expected), f"{sheet_name}: {label}"
        assert all(cell is None for cell in found[label][len(expected) :]), label


def test_every_row_of_the_summary(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["Tổng hợp"]
    header_row = next(
        row[0].row for row in sheet.iter_rows(min_col=1, max_col=1) if row[0].value == "Chỉ tiêu"
    )
    rows = [
        (label, value)
        for label, value in sheet.iter_rows(
            min_row=header_row + 1, max_row=header_row + len(EXPECTED_SUMMARY), max_col=2,
            values_only=True,
        )
    ]  # fmt: skip
    assert [value for _label, value in rows] == pytest.approx(EXPECTED_SUMMARY)
    assert rows[0][0] == "I. XỬ LÝ ĐƠN"
    assert rows[22:33] == FIELD_ROWS
    assert rows[-1] == ("Điểm đánh giá bình quân (trên 5)", pytest.approx(11 / 3))


def test_headers_titles_period_and_signatures(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["01-TCD"]
    assert sheet["A1"].value == "Đơn vị báo cáo: UBND tỉnh Thái Nguyên"
    assert sheet["AE1"].value == "Biểu số 01/TCD"
    assert sheet["A2"].value == "TỔNG HỢP KẾT QUẢ TIẾP CÔNG DÂN"
    assert sheet["A3"].value == "Số liệu tính từ ngày 15/12/2025 đến ngày 14/03/2026"
    headers = {
        "A5:A7": "Đơn vị",
        "B5:E5": "Tổng số",
        "B6:B7": "Lượt",
        "E6:E7": "Đoàn đông người",
        "F5:K5": "Tiếp thường xuyên",
        "H6:J6": "Vụ việc",
        "L5:U5": "Thủ trưởng tiếp định kỳ",
        "L6:P6": "Trực tiếp",
        "Q6:U6": "Ủy quyền",
        "V5:AE5": "Thủ trưởng tiếp đột xuất",
        "V6:Z6": "Trực tiếp",
        "AA6:AE6": "Ủy quyền",
    }
    merged = {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    assert set(headers) <= merged
    for cell_range, text in headers.items():
        assert sheet[cell_range.split(":")[0]].value == text
    assert [sheet.cell(7, column).value for column in (8, 9, 10, 12, 16)] == [
        "Tổng số",
        "Lần đầu",
        "Tái diễn",
        "Kỳ tiếp",
        "Đoàn đông người",
    ]
    assert [sheet.cell(8, column).value for column in (1, 2, 31)] == ["A", 1, 30]
    assert {"A2:AE2", "A3:AE3", "Q15:AE15", "A16:P16", "Q16:AE16"} <= merged
    assert sheet["Q15"].value == "Thái Nguyên, ngày 20 tháng 03 năm 2026"
    assert (sheet["A16"].value, sheet["Q16"].value) == ("NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ")
    assert (sheet["A17"].value, sheet["Q17"].value) == ("(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)")
    assert sheet["C13"].number_format == "#,##0" and sheet["C13"].font.b
    xld = workbook["02-XLD"]
    xld_merged = {str(cell_range) for cell_range in xld.merged_cells.ranges}
    assert {
        "G5:H5",
        "I5:N5",
        "I6:K6",
        "O5:S5",
        "O6:Q6",
        "T5:Z5",
        "T6:W6",
        "X6:Z6",
        "AA5:AA7",
    } <= xld_merged
    assert (xld["I5"].value, xld["I6"].value, xld["J7"].value) == (
        "Phân loại theo nội dung",
        "Hành chính",
        "Đất đai, nhà cửa",
    )
    assert workbook["Chỉ số đơn vị"]["H9"].number_format == "0.0%"


# --- templates -----------------------------------------------------------------------------------

TEXTS = """
[texts]
unit_line = "Đơn vị: {unit}"
form_line = "Biểu số {code}"
period_line = "Từ {first} đến {last}"
row_header = "Đơn vị"
total = "Tổng cộng"
place_date = "{place}, ngày {day} tháng {month} năm {year}"
preparer = "NGƯỜI LẬP BIỂU"
preparer_note = "(Ký)"
head = "THỦ TRƯỞNG"
head_note = "(Ký, đóng dấu)"
"""


def template(tmp_path: Path, body: str, texts: str = TEXTS) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(f'code = "X"\ntitle = "Biểu thử"\nsheet = "X"\n{body}\n{texts}', "utf-8")
    return path


def test_the_bundled_templates_load() -> None:
    forms = load_forms()
    assert [form.code for form in forms] == [
        "TH",
        "01/TCD",
        "02/XLD",
        "03/KQGQ",
        "04/KQGQ",
        "CS",
        "HL",
    ]
    assert all("not new code" in path.read_text("utf-8") for path in FORMS_DIR.glob("*.toml"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[columns]]\ntitle = "Tổng số"\n  [[columns.columns]]\n  title = "Lượt"\n'
            '  metric = "receptions.total.visit"',
            "bad.toml: column «Tổng số › Lượt»: unknown metric key 'receptions.total.visit'",
        ),
        (
            '[[columns]]\ntitle = "KN"\nmetric = "petitions.by_kind.khieu_nia"',
            "bad.toml: column «KN»: unknown metric key 'petitions.by_kind.khieu_nia'",
        ),
        (
            '[[columns]]\ntitle = "Nhóm"\nmetric = "receptions.regular"',
            "bad.toml: column «Nhóm»: unknown metric key 'receptions.regular'",
        ),
        (
            '[[columns]]\ntitle = "Hai"\nmetric = "petitions.received"\nmanual = true',
            "bad.toml: column «Hai»: give exactly one of metric, metrics, manual, columns",
        ),
        (
            '[[columns]]\ntitle = "Số"\nmetric = ""\n[[rows]]\nlabel = "Dòng"\nkey = "petitions.x"',
            "bad.toml: row «Dòng», column «Số»: unknown metric key 'petitions.x'",
        ),
        (
            '[[columns]]\ntitle = "Số"\nmetric = ""\n[[rows]]\nlabel = "{name}"\n'
            'each = "petitions.received"',
            "bad.toml: row «{name}»: 'petitions.received' is not a breakdown",
        ),
        ('[[columns]]\ntitle = "Số"\nmetric = "petitions.received"\nformat = "money"', "format"),
        ("", "bad.toml: no [[columns]]"),
        ('[[columns]]\ntitle = "Số"\nmetric = "petitions.received"\n[[columns', "not valid TOML"),
    ],
)
def test_a_malformed_template_is_refused_with_the_place_named(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(FormError) as refused:
        load_form(template(tmp_path, body))
    assert message in str(refused.value)


def test_template_texts_may_use_only_their_placeholders(tmp_path: Path) -> None:
    body = '[[columns]]\ntitle = "Số"\nmetric = "petitions.received"'
    with pytest.raises(FormError, match=r"bad.toml: \[texts\] `unit_line`: placeholder 'name'"):
        load_form(template(tmp_path, body, TEXTS.replace("{unit}", "{name}")))
    with pytest.raises(FormError, match=r"bad.toml: \[texts\] `head_note` must be"):
        load_form(template(tmp_path, body, TEXTS.replace('head_note = "(Ký, đóng dấu)"', "")))


# --- the command line ----------------------------------------------------------------------------


def run_report(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url(tmp_path),
        "TELEGRAM_BOT_TOKEN": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "report", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_command_writes_the_workbook(database: Database, tmp_path: Path) -> None:
    out = tmp_path / "q1.xlsx"
    result = run_report(
        tmp_path, "--period", "Q1", "--year", "2026", "--unit", "TN", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "15/12/2025–14/03/2026" in result.stdout and "10 petitions received" in result.stdout
    sheet = openpyxl.load_workbook(out)["02-XLD"]
    assert rows_by_label(sheet)[TOTAL][:2] == [12, 2]

    commune = tmp_path / "range.xlsx"
    result = run_report(
        tmp_path, "--from", "2026-01-01", "--to", "2026-01-31", "--unit", "PD", "--only",
        "--out", str(commune), "--place", "Phú Đình",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(commune)["01-TCD"]
    assert sheet["A3"].value == "Số liệu tính từ ngày 01/01/2026 đến ngày 31/01/2026"
    assert rows_by_label(sheet)[TOTAL][:4] == [6, 17, 5, 2]  # R1-R6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "Q7", "--unit", "TN"), "not a period"),
        (("--period", "Q1", "--unit", "XX"), "unknown unit 'XX'"),
        (("--from", "2026-01-01", "--unit", "TN"), "--from needs --to"),
    ],
)
def test_the_command_refuses_bad_input(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run_report(tmp_path, *args, "--out", str(tmp_path / "x.xlsx"))
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "x.xlsx").exists()
