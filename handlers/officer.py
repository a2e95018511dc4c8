"""The officer's side in chat, for this first step: the menu, assigned petitions, open one.

Every action checks on the server that this chat belongs to an officer who may see the petition;
button data only says which petition is meant.
"""

from __future__ import annotations

import logging

from bot.conversation import Context, Router
from bot.core import Button, Reply
from bot.domain.petition import PetitionKind, PetitionState, mask_phone
from bot.domain.workflow import Action, TransitionRefused, allowed_actions
from bot.i18n import N_, Translator
from bot.labels import kind_label, rule_label, state_label
from bot.ports import OfficerView, PetitionDetail
from bot.services.access import may_see, may_see_identity
from bot.services.workflow import Accepted, NotAllowed, accept_petition

log = logging.getLogger(__name__)

router = Router()

LIST_LIMIT = 20

# The actions offered in chat so far; the others of the state machine follow.
ACTION_LABELS = {Action.ACCEPT: N_("officer.action.accept")}


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


@router.global_button("op")
async def open_petition(ctx: Context) -> None:
    """Shows one petition in full to an officer allowed to see it."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    choice = ctx.choice or ""
    petition = await ctx.store.petition(int(choice)) if choice.isdigit() else None
    if petition is None or not may_see(ctx.env.org, officer, petition):
        log.warning("officer %s refused petition %s", officer.handle, ctx.choice)
        ctx.reply(ctx.t("officer.not_allowed"))
        return
    actions = [
        Button(ctx.t(ACTION_LABELS[action]), f"pa:{petition.summary.id}.{action.value}")
        for action in allowed_actions(
            PetitionState(petition.summary.state), PetitionKind(petition.summary.kind)
        )
        if action in ACTION_LABELS
    ]
    ctx.reply(petition_text(ctx, officer, petition), *([action] for action in actions))
    if not petition.anonymous and may_see_identity(officer, petition):
        await ctx.store.audit(
            f"officer:{officer.handle}",
            "petition.identity_viewed",
            petition.summary.code,
            {},
            ctx.now,
        )


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


@router.global_button("pa")
async def act_on_petition(ctx: Context) -> None:
    """An officer's action button: checked again on the server, whatever the button says."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    petition_id, _, action = (ctx.choice or "").partition(".")
    if not petition_id.isdigit() or action != Action.ACCEPT:
        log.warning("officer %s sent unknown action data", officer.handle)
        ctx.reply(ctx.t("input.unknown_button"))
        return
    try:
        accepted = await accept_petition(ctx.store, ctx.env, int(petition_id), officer, ctx.now)
    except NotAllowed:
        log.warning("officer %s refused action on petition %s", officer.handle, petition_id)
        ctx.reply(ctx.t("officer.not_allowed"))
        return
    except TransitionRefused:
        ctx.reply(ctx.t("officer.action.not_possible"))
        return
    t = ctx.t
    code = accepted.petition.summary.code
    dates = "\n".join(
        t("officer.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date))
        for d in accepted.deadlines
    )
    ctx.reply(t("officer.accepted", code=code, deadlines=dates))
    if accepted.citizen is not None:
        await ctx.notify(accepted.citizen, lambda tc: citizen_accepted(tc, accepted, ctx))


def citizen_accepted(t: Translator, accepted: Accepted, ctx: Context) -> Reply:
    """Tells the citizen their petition is accepted and by when it must be resolved."""
    lines = [
        t("citizen.accepted", code=accepted.petition.summary.code, date=t.date(ctx.now)),
        *(
            t("mine.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date))
            for d in accepted.deadlines
        ),
    ]
    return Reply("\n".join(lines))
