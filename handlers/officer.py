"""The officer's side in chat, for this first step: the menu, assigned petitions, open one.

Every action checks on the server that this chat belongs to an officer who may see the petition;
button data only says which petition is meant.
"""

from __future__ import annotations

import logging

from bot.conversation import Context, Router
from bot.core import Button
from bot.domain.petition import IDENTITY_NEEDS, PetitionKind, mask_phone
from bot.labels import kind_label, rule_label, state_label
from bot.ports import OfficerView, PetitionDetail

log = logging.getLogger(__name__)

router = Router()

LIST_LIMIT = 20


async def officer_menu(ctx: Context, officer: OfficerView, intro: str | None) -> None:
    """The officer's menu."""
    t = ctx.t
    ctx.reply(
        intro or t("officer.menu", name=officer.name),
        [Button(t("officer.menu.assigned"), "of:list")],
        [Button(t("menu.help"), "m:help"), Button(t("menu.language"), "m:lang")],
        remove_keyboard=True,
    )


async def current_officer(ctx: Context) -> OfficerView | None:
    """The officer bound to this chat, or a polite refusal."""
    officer = await ctx.store.officer_by_chat(ctx.incoming.channel, ctx.incoming.chat_id)
    if officer is None:
        log.warning("officer action refused: %s is not an officer", ctx.actor)
        ctx.reply(ctx.t("officer.not_officer"))
    return officer


@router.global_button("of")
async def officer_list(ctx: Context) -> None:
    """Lists the officer's open petitions, soonest deadline first."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    t = ctx.t
    petitions = await ctx.store.petitions_assigned(officer.id, LIST_LIMIT)
    if not petitions:
        ctx.reply(t("officer.list.empty"))
        return
    rows = []
    for petition in petitions:
        due = min((d.due_date for d in petition.deadlines), default=None)
        label = f"{petition.code} · {kind_label(t, petition.kind)}"
        if due:
            label += f" · {t.date(due)}"
        rows.append([Button(label, f"op:{petition.id}")])
    ctx.reply(t("officer.list.title", count=len(petitions)), *rows)


def may_see(officer: OfficerView, petition: PetitionDetail, unit_chain: list[str]) -> bool:
    """The assignee, or a head of the petition's unit or of a unit above it."""
    if petition.assignee_id == officer.id:
        return True
    return "head" in officer.roles and officer.unit in unit_chain


def may_see_identity(officer: OfficerView, petition: PetitionDetail) -> bool:
    """A denouncer is known only to the person resolving the denunciation (LEGAL §4)."""
    if not IDENTITY_NEEDS[PetitionKind(petition.summary.kind)].secret:
        return True
    return petition.assignee_id == officer.id


@router.global_button("op")
async def open_petition(ctx: Context) -> None:
    """Shows one petition in full to an officer allowed to see it."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    choice = ctx.choice or ""
    petition = await ctx.store.petition(int(choice)) if choice.isdigit() else None
    if petition is None or not may_see(officer, petition, unit_chain(ctx, petition.unit)):
        log.warning("officer %s refused petition %s", officer.handle, ctx.choice)
        ctx.reply(ctx.t("officer.not_allowed"))
        return
    ctx.reply(petition_text(ctx, officer, petition))
    if not petition.anonymous and may_see_identity(officer, petition):
        await ctx.store.audit(
            f"officer:{officer.handle}",
            "petition.identity_viewed",
            petition.summary.code,
            {},
            ctx.now,
        )


def unit_chain(ctx: Context, unit_code: str) -> list[str]:
    """A unit and every unit above it."""
    chain = []
    unit = ctx.env.org.units.get(unit_code)
    while unit is not None:
        chain.append(unit.code)
        unit = ctx.env.org.units.get(unit.parent) if unit.parent else None
    return chain


def petition_text(ctx: Context, officer: OfficerView, petition: PetitionDetail) -> str:
    """The petition as an officer reads it; the filer's identity only where the law allows."""
    t = ctx.t
    org = ctx.env.org
    summary = petition.summary
    if petition.anonymous:
        filer = t("officer.filer.anonymous")
    elif not may_see_identity(officer, petition):
        filer = t("officer.filer.protected")
    else:
        phone = (
            petition.filer_phone
            if petition.assignee_id == officer.id
            else mask_phone(petition.filer_phone)
        )
        filer = f"{petition.filer_name} · {phone} · {petition.filer_address or '—'}"
    place = ", ".join(
        part
        for part in (
            org.areas[petition.area].name if petition.area and petition.area in org.areas else None,
            petition.place_note,
            t("filing.place.shared_location") if petition.latitude is not None else None,
        )
        if part
    )
    deadlines = "\n".join(
        t("officer.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date))
        for d in summary.deadlines
    )
    field = org.field(summary.field)
    return t(
        "officer.petition",
        code=summary.code,
        kind=kind_label(t, summary.kind),
        field=t(field.label) if field else summary.field,
        state=state_label(t, summary.state),
        received=t.datetime(summary.received_at),
        unit=org.units[petition.unit].name,
        place=place or "—",
        filer=filer,
        content=petition.content,
        files=petition.attachments,
        deadlines=deadlines,
    )
