"""The officer's menu and lists: their own petitions, a head's unit and its overdue ones, and a
petition found by its code."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.buttons import (
    ConsultationStaff,
    DialogueStaff,
    Indicators,
    Menu,
    NewReception,
    OfficerList,
    OpenPetition,
    ReceptionStaff,
    Reports,
)
from bot.conversation import Context
from bot.core import Button
from bot.domain.reminders import urgency
from bot.i18n import LOCAL_TZ, N_
from bot.labels import kind_label
from bot.ports import OfficerView
from bot.services.access import units_under
from bot.services.consultations import organiser_unit
from bot.services.reception import may_record
from bot.services.workflow import NotAllowed
from handlers.callbacks import on
from handlers.officer.base import router
from handlers.officer.card import open_petition
from handlers.staff import current_officer

log = logging.getLogger(__name__)

LIST_LIMIT = 20
URGENCY_LABELS = {
    "overdue": N_("officer.urgency.overdue"),
    "soon": N_("officer.urgency.soon"),
    "on_track": N_("officer.urgency.on_track"),
}


async def officer_menu(
    ctx: Context,
    officer: OfficerView,
    intro: str | None,
    first_rows: Sequence[Sequence[Button]] = (),
) -> None:
    """The officer's menu; `first_rows` first (the petition just acted on)."""
    t = ctx.t
    head_rows = (
        [
            [
                Button(t("officer.menu.unit"), OfficerList("unit").pack()),
                Button(t("officer.menu.overdue"), OfficerList("overdue").pack()),
            ]
        ]
        if "head" in officer.roles
        else []
    )
    ctx.reply(
        intro or t("officer.menu", name=officer.name),
        *first_rows,
        [Button(t("officer.menu.assigned"), OfficerList("list").pack())],
        *(
            [[Button(t("officer.menu.reception"), NewReception().pack())]]
            if may_record(officer)
            else []
        ),
        *head_rows,
        *(
            [
                [
                    Button(t("officer.menu.dialogues"), DialogueStaff("home").pack()),
                    Button(t("officer.menu.reception_days"), ReceptionStaff("home").pack()),
                ]
            ]
            if may_record(officer)
            else []
        ),
        *(
            [[Button(t("officer.menu.consultations"), ConsultationStaff("home").pack())]]
            if may_consult(ctx, officer)
            else []
        ),
        *(
            [
                [
                    Button(t("officer.menu.indicators"), Indicators().pack()),
                    Button(t("officer.menu.reports"), Reports().pack()),
                ]
            ]
            if officer.roles & {"head", "inspector"}
            else []
        ),
        [
            Button(t("menu.help"), Menu("help").pack()),
            Button(t("menu.language"), Menu("lang").pack()),
        ],
        remove_keyboard=True,
    )


def may_consult(ctx: Context, officer: OfficerView) -> bool:
    """Heads and admins of a People's Committee hold consultations."""
    try:
        organiser_unit(ctx.env, officer)
    except NotAllowed:
        return False
    return True


# Each list's title and what it says when empty: the officer's own, the unit's, the overdue.
LIST_WORDS = {
    "list": (N_("officer.list.title"), N_("officer.list.empty")),
    "unit": (N_("officer.unit_list.title"), N_("officer.unit_list.empty")),
    "overdue": (N_("officer.overdue_list.title"), N_("officer.overdue_list.empty")),
}


@on(router, OfficerList)
async def officer_list(ctx: Context, data: OfficerList) -> None:
    """Lists the officer's open petitions, soonest deadline first."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    t = ctx.t
    today = ctx.now.astimezone(LOCAL_TZ).date()
    which = data.which
    title, empty = LIST_WORDS[which]
    unit = ctx.env.org.units[officer.unit].name
    if which != "list":
        if "head" not in officer.roles:
            log.warning("officer %s asked for a head's list", officer.handle)
            ctx.reply(t("officer.not_allowed"))
            return
        units = units_under(ctx.env.org, officer.unit)
        overdue_only = today if which == "overdue" else None
        petitions = await ctx.store.petitions_of_units(units, LIST_LIMIT, overdue_only)
    else:
        petitions = await ctx.store.petitions_assigned(officer.id, LIST_LIMIT)
    home = [Button(t("menu.back_home"), Menu("home").pack())]
    if not petitions:
        ctx.reply(t(empty, unit=unit), home)
        return
    rows = []
    for petition in petitions:
        due = min((d.due_date for d in petition.deadlines if d.status == "open"), default=None)
        label = f"{petition.code} · {kind_label(t, petition.kind)}"
        if due:
            mark = URGENCY_LABELS[urgency(due, today, ctx.env.calendar)]
            label = f"{t(mark)} {label} · {t.date(due)}"
        rows.append([Button(label, OpenPetition(petition.id).pack())])
    ctx.reply(t(title, count=len(petitions), unit=unit), *rows, home)


@router.command("tim")
async def find_by_code(ctx: Context) -> None:
    """/tim PD-2026-000123: open a petition by its code (for those allowed to see it)."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    petition_id = await ctx.store.petition_id_by_code(ctx.incoming.args.strip().upper())
    if petition_id is None:
        ctx.reply(ctx.t("officer.find.none", code=ctx.incoming.args.strip()[:32]))
        return
    ctx.choice = str(petition_id)
    await open_petition(ctx)
