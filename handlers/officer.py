"""The officer's side in chat: the menu, the lists, a petition's card and its action buttons.

Every action checks on the server that this chat belongs to an officer who may take it; button
data only says which petition and action are meant. The intake actions (accept, refuse, forward,
guide, ask, extend) are here; the work after acceptance is in `handlers.casework`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from datetime import date

from bot.conversation import Context, Handler, ask, number_in
from bot.core import Button, Kind, Reply
from bot.domain.deadlines import TooManyExtensions
from bot.domain.petition import Case, PetitionKind, PetitionState, mask_phone
from bot.domain.refusals import reasons_for
from bot.domain.reminders import urgency
from bot.domain.workflow import Action, TransitionRefused, allowed_actions
from bot.i18n import LOCAL_TZ, N_, Translator
from bot.labels import event_label, kind_label, rule_label, state_label
from bot.ports import DeadlineView, OfficerView, PetitionDetail
from bot.services.access import may_act, may_see, may_see_identity, units_under
from bot.services.casework import close_petition
from bot.services.reception import may_record
from bot.services.workflow import (
    Accepted,
    Asked,
    ExtensionRequested,
    NotAllowed,
    Refused,
    Rerouted,
    accept_petition,
    ask_citizen,
    check_action,
    decide_extension,
    end_with_note,
    refuse_petition,
    request_extension,
    reroute_petition,
)
from handlers.common import show_menu
from handlers.picker import Option, page_rows, picked, with_page_hint
from handlers.staff import (
    MAX_NOTE_CHARS,
    cancel_row,
    current_officer,
    pending,
    pending_cancelled,
    pending_petition,
    refuse,
    router,
)

log = logging.getLogger(__name__)

LIST_LIMIT = 20
URGENCY_LABELS = {
    "overdue": N_("officer.urgency.overdue"),
    "soon": N_("officer.urgency.soon"),
    "on_track": N_("officer.urgency.on_track"),
}

# The buttons of a petition's card, in the state machine's order. START is offered only to record
# a dialogue's minutes: verification starts with the first note.
ACTION_LABELS = {
    Action.ACCEPT: N_("officer.action.accept"),
    Action.REFUSE: N_("officer.action.refuse"),
    Action.REROUTE: N_("officer.action.reroute"),
    Action.FORWARD: N_("officer.action.forward"),
    Action.GUIDE: N_("officer.action.guide"),
    Action.START: N_("officer.action.minutes"),
    Action.NOTE: N_("officer.action.note"),
    Action.ASK_CITIZEN: N_("officer.action.ask_citizen"),
    Action.EXTEND: N_("officer.action.extend"),
    Action.HOLD_DIALOGUE: N_("officer.action.dialogue"),
    Action.ANSWER: N_("officer.action.answer"),
    Action.CLOSE: N_("officer.action.close"),
    Action.CLASSIFY: N_("officer.action.classify"),
    Action.REASSIGN: N_("officer.action.reassign"),
}
IDENTITY_ACTION = "identity"  # a head lets another officer know the denouncer (not a state change)
HEAD_ONLY = frozenset({Action.REASSIGN})
# The first question of each action that needs words or choices; the others act at once.
FIRST_QUESTION: dict[str, str] = {
    IDENTITY_ACTION: "w.identity",
    Action.REFUSE: "o.refuse",
    Action.REROUTE: "o.forward",
    Action.EXTEND: "o.extend",
    Action.GUIDE: "o.note",
    Action.FORWARD: "o.note",
    Action.ASK_CITIZEN: "o.note",
    Action.ANSWER: "w.outcome",
    Action.NOTE: "w.note",
    Action.START: "w.minutes",
    Action.HOLD_DIALOGUE: "w.dialogue.when",
    Action.CLASSIFY: "w.classify",
    Action.REASSIGN: "w.reassign",
}
TIMELINE_LIMIT = 8

REFUSAL_LABELS = {
    "kn_internal": N_("refusal.kn_internal"),
    "kn_not_affected": N_("refusal.kn_not_affected"),
    "kn_capacity": N_("refusal.kn_capacity"),
    "kn_representative": N_("refusal.kn_representative"),
    "kn_unsigned": N_("refusal.kn_unsigned"),
    "kn_time_limit": N_("refusal.kn_time_limit"),
    "kn_second_decision": N_("refusal.kn_second_decision"),
    "kn_suspended": N_("refusal.kn_suspended"),
    "kn_court": N_("refusal.kn_court"),
    "tc_conditions": N_("refusal.tc_conditions"),
    "not_competent": N_("refusal.not_competent"),
    "repeated": N_("refusal.repeated"),
}


async def officer_menu(ctx: Context, officer: OfficerView, intro: str | None) -> None:
    """The officer's menu."""
    t = ctx.t
    head_rows = (
        [
            [
                Button(t("officer.menu.unit"), "of:unit"),
                Button(t("officer.menu.overdue"), "of:overdue"),
            ]
        ]
        if "head" in officer.roles
        else []
    )
    ctx.reply(
        intro or t("officer.menu", name=officer.name),
        [Button(t("officer.menu.assigned"), "of:list")],
        *([[Button(t("officer.menu.reception"), "rc:new")]] if may_record(officer) else []),
        *head_rows,
        *(
            [
                [
                    Button(t("officer.menu.dialogues"), "dm:home"),
                    Button(t("officer.menu.reception_days"), "rs:home"),
                ]
            ]
            if may_record(officer)
            else []
        ),
        *(
            [
                [
                    Button(t("officer.menu.indicators"), "ki:show"),
                    Button(t("officer.menu.reports"), "rp:home"),
                ]
            ]
            if officer.roles & {"head", "inspector"}
            else []
        ),
        [Button(t("menu.help"), "m:help"), Button(t("menu.language"), "m:lang")],
        remove_keyboard=True,
    )


@router.global_button("of")
async def officer_list(ctx: Context) -> None:
    """Lists the officer's open petitions, soonest deadline first."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    t = ctx.t
    today = ctx.now.astimezone(LOCAL_TZ).date()
    if ctx.choice in {"unit", "overdue"}:
        if "head" not in officer.roles:
            log.warning("officer %s asked for a head's list", officer.handle)
            ctx.reply(t("officer.not_allowed"))
            return
        units = units_under(ctx.env.org, officer.unit)
        overdue_only = today if ctx.choice == "overdue" else None
        petitions = await ctx.store.petitions_of_units(units, LIST_LIMIT, overdue_only)
    else:
        petitions = await ctx.store.petitions_assigned(officer.id, LIST_LIMIT)
    if not petitions:
        ctx.reply(t("officer.list.empty"))
        return
    rows = []
    for petition in petitions:
        due = min((d.due_date for d in petition.deadlines if d.status == "open"), default=None)
        label = f"{petition.code} · {kind_label(t, petition.kind)}"
        if due:
            mark = URGENCY_LABELS[urgency(due, today, ctx.env.calendar)]
            label = f"{t(mark)} {label} · {t.date(due)}"
        rows.append([Button(label, f"op:{petition.id}")])
    ctx.reply(t("officer.list.title", count=len(petitions)), *rows)


@router.command("tim")
async def find_by_code(ctx: Context) -> None:
    """/tim SP-2026-000123: open a petition by its code (for those allowed to see it)."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    petition_id = await ctx.store.petition_id_by_code(ctx.incoming.args.strip().upper())
    if petition_id is None:
        ctx.reply(ctx.t("officer.find.none", code=ctx.incoming.args.strip()[:32]))
        return
    ctx.choice = str(petition_id)
    await open_petition(ctx)


@router.global_button("op")
async def open_petition(ctx: Context) -> None:
    """Shows one petition in full to an officer allowed to see it."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    petition_id = number_in(ctx.choice)
    petition = await ctx.store.petition(petition_id) if petition_id is not None else None
    if petition is None or not may_see(ctx.env.org, officer, petition):
        refuse(ctx, officer, f"petition {ctx.choice}")
        return
    buttons = action_buttons(ctx, officer, petition)
    if petition.attachments and may_see_identity(officer, petition):
        label = ctx.t("officer.files.show", count=petition.attachments)
        buttons.append(Button(label, f"pf:{petition.summary.id}"))
    ctx.reply(await petition_text(ctx, officer, petition), *([button] for button in buttons))
    if not petition.anonymous and may_see_identity(officer, petition):
        await ctx.store.audit(
            f"officer:{officer.handle}",
            "petition.identity_viewed",
            petition.summary.code,
            {},
            ctx.now,
        )


@router.global_button("pf")
async def show_files(ctx: Context) -> None:
    """The petition's photos and documents, each sent as a file; a denunciation's files only to
    those who may know the denouncer (a scanned letter carries a name and a signature)."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    petition_id = number_in(ctx.choice)
    petition = await ctx.store.petition(petition_id) if petition_id is not None else None
    if (
        petition is None
        or not may_see(ctx.env.org, officer, petition)
        or not may_see_identity(officer, petition)
    ):
        refuse(ctx, officer, f"files of petition {ctx.choice}")
        return
    files = await ctx.store.petition_files(petition.summary.id)
    await ctx.store.audit(
        f"officer:{officer.handle}", "petition.files_viewed", petition.summary.code, {}, ctx.now
    )
    for number, file in enumerate(files, start=1):
        caption = ctx.t("officer.files.caption", code=petition.summary.code, number=number)
        ctx.reply(f"{caption} {file.name or ''}".strip(), attachment=file)
    if not files:
        ctx.reply(ctx.t("officer.files.none"))


def action_buttons(ctx: Context, officer: OfficerView, petition: PetitionDetail) -> list[Button]:
    """What this officer may do to the petition now; someone only shown it may do nothing."""
    if not may_act(ctx.env.org, officer, petition):
        return []
    state, kind = PetitionState(petition.summary.state), PetitionKind(petition.summary.kind)
    head = "head" in officer.roles
    actions = [
        action
        for action in allowed_actions(state, kind)
        if action in ACTION_LABELS
        and (head or action not in HEAD_ONLY)
        and (action != Action.START or state == PetitionState.DIALOGUE)
    ]
    buttons = [
        Button(ctx.t(ACTION_LABELS[action]), f"pa:{petition.summary.id}.{action.value}")
        for action in actions
    ]
    if head and kind == PetitionKind.DENUNCIATION and not petition.anonymous:
        label = ctx.t("officer.action.identity")
        buttons.append(Button(label, f"pa:{petition.summary.id}.{IDENTITY_ACTION}"))
    return buttons


async def petition_text(ctx: Context, officer: OfficerView, petition: PetitionDetail) -> str:
    """The petition as an officer reads it; the filer's identity only where the law allows."""
    t = ctx.t
    org = ctx.env.org
    summary = petition.summary
    field = org.field(summary.field)
    return t(
        "officer.petition",
        code=summary.code,
        kind=kind_label(t, summary.kind),
        field=t(field.label) if field else summary.field,
        state=state_label(t, summary.state),
        received=t.datetime(summary.received_at),
        unit=org.units[petition.unit].name,
        place=place_text(ctx, petition) or "—",
        filer=filer_text(ctx, officer, petition),
        case=case_text(t, petition.case),
        content=petition.content,
        files=petition.attachments,
        deadlines=deadlines_text(ctx, summary.deadlines),
        timeline=await timeline_text(ctx, petition),
    )


def filer_text(ctx: Context, officer: OfficerView, petition: PetitionDetail) -> str:
    """Who filed: hidden for a denunciation unless this officer may know (LEGAL §4)."""
    t = ctx.t
    if petition.anonymous:
        return t("officer.filer.anonymous")
    if not may_see_identity(officer, petition):
        return t("officer.filer.protected")
    phone = (
        petition.filer_phone
        if petition.assignee_id == officer.id
        else mask_phone(petition.filer_phone)
    )
    return f"{petition.filer_name} · {phone} · {petition.filer_address or '—'}"


def place_text(ctx: Context, petition: PetitionDetail) -> str:
    """Where it happened: the village, the citizen's words, a shared location."""
    org = ctx.env.org
    return ", ".join(
        part
        for part in (
            org.areas[petition.area].name if petition.area and petition.area in org.areas else None,
            petition.place_note,
            ctx.t("filing.place.shared_location") if petition.latitude is not None else None,
        )
        if part
    )


def case_text(t: Translator, case: Case) -> str:
    """The classification in one line: instance, remote area, complexity, group."""
    parts = [t("officer.case.instance", instance=case.instance)]
    if case.remote_area:
        parts.append(t("officer.case.remote"))
    if case.complexity != "normal":
        parts.append(t(COMPLEXITY_LABELS[case.complexity]))
    if case.group_size > 1:
        parts.append(
            t("officer.case.group", people=case.group_size, representatives=case.representatives)
        )
    return " · ".join(parts)


def deadlines_text(ctx: Context, deadlines: tuple[DeadlineView, ...]) -> str:
    """Open deadlines with the days left (or overdue); settled ones plainly."""
    t = ctx.t
    today = ctx.now.astimezone(LOCAL_TZ).date()
    lines = []
    for deadline in deadlines:
        if deadline.status != "open":
            continue
        days = (deadline.due_date - today).days
        left = (
            t("officer.days.overdue", days=-days)
            if days < 0
            else t("officer.days.today")
            if days == 0
            else t("officer.days.left", days=days)
        )
        what = rule_label(t, deadline.rule_id)
        lines.append(
            t("officer.deadline.left", what=what, date=t.date(deadline.due_date), left=left)
        )
    return "\n".join(lines)


async def timeline_text(ctx: Context, petition: PetitionDetail) -> str:
    """The latest steps, newest last."""
    t = ctx.t
    events = (await ctx.store.petition_events(petition.summary.id))[-TIMELINE_LIMIT:]
    return "\n".join(f"• {t.datetime(e.at)}: {event_label(t, e.action)}" for e in events)


@router.global_button("pa")
async def act_on_petition(ctx: Context) -> None:
    """An officer's action button: checked again on the server, whatever the button says."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    petition_data, _, action = (ctx.choice or "").partition(".")
    petition_id = number_in(petition_data)
    known = {a.value for a in ACTION_LABELS} | {IDENTITY_ACTION}
    if petition_id is None or action not in known:
        log.warning("officer %s sent unknown action data", officer.handle)
        ctx.reply(ctx.t("input.unknown_button"))
        return
    try:
        petition = await check_standing(ctx, officer, petition_id, action)
        if action == Action.ACCEPT:
            await accept(ctx, officer, petition.summary.id)
            return
        if action == Action.CLOSE:
            await close(ctx, officer, petition.summary.id)
            return
    except NotAllowed:
        refuse(ctx, officer, f"{action} on petition {petition_id}")
        return
    except TransitionRefused:
        ctx.reply(ctx.t("officer.action.not_possible"))
        return
    ctx.conv.data["pending"] = {"petition": petition.summary.id, "action": action}
    await ask(router, ctx, FIRST_QUESTION[action])


async def check_standing(
    ctx: Context, officer: OfficerView, petition_id: int, action: str
) -> PetitionDetail:
    """The petition, if the officer may start this action on it; raise otherwise."""
    if action == IDENTITY_ACTION:
        petition = await ctx.store.petition(petition_id)
        if petition is None or "head" not in officer.roles:
            raise NotAllowed(f"{officer.handle} designating on {petition_id}")
        if not may_act(ctx.env.org, officer, petition):
            raise NotAllowed(f"{officer.handle} designating on {petition_id}")
        return petition
    if Action(action) in HEAD_ONLY and "head" not in officer.roles:
        raise NotAllowed(f"{officer.handle} is not a head")
    return await check_action(ctx.store, ctx.env, petition_id, officer, Action(action))


async def accept(ctx: Context, officer: OfficerView, petition_id: int) -> None:
    """Thụ lý, then tell the officer and the citizen the new dates."""
    accepted = await accept_petition(ctx.store, ctx.env, petition_id, officer, ctx.now)
    t = ctx.t
    code = accepted.petition.summary.code
    dates = "\n".join(
        t("officer.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date))
        for d in accepted.deadlines
    )
    ctx.reply(t("officer.accepted", code=code, deadlines=dates))
    if accepted.citizen is not None:
        await ctx.notify(
            accepted.citizen,
            lambda tc: citizen_accepted(tc, accepted, ctx),
            about=accepted.petition.summary.id,
        )


async def close(ctx: Context, officer: OfficerView, petition_id: int) -> None:
    """Kết thúc hồ sơ after the answer; the citizen is told the file is closed."""
    closed = await close_petition(ctx.store, ctx.env, petition_id, officer, ctx.now)
    code = closed.petition.summary.code
    ctx.reply(ctx.t("officer.closed", code=code))
    if closed.citizen is not None:
        await ctx.notify(
            closed.citizen,
            lambda t: Reply(t("citizen.closed", code=code)),
            about=closed.petition.summary.id,
        )


async def keep_choice_then_note(
    ctx: Context, key: str, choices: Mapping[str, str], prompt: Handler
) -> None:
    """Keep a pressed choice of the action being prepared, then ask for the note."""
    if await pending_cancelled(ctx):
        return
    if ctx.choice not in choices:
        ctx.reply(ctx.t("input.press_a_button"))
        await prompt(ctx)
        return
    pending(ctx)[key] = ctx.choice
    await ask(router, ctx, "o.note")


async def prompt_refusal_reason(ctx: Context) -> None:
    """Asks which legal reason applies, from the list for this kind."""
    petition = await ctx.store.petition(pending_petition(ctx))
    kind = PetitionKind(petition.summary.kind) if petition else PetitionKind.FEEDBACK
    rows = [[ctx.button(ctx.t(REFUSAL_LABELS[item.code]), item.code)] for item in reasons_for(kind)]
    ctx.reply(ctx.t("officer.refuse.ask_reason"), *rows, cancel_row(ctx))


@router.state("o.refuse", prompt_refusal_reason)
async def answer_refusal_reason(ctx: Context) -> None:
    """Keeps the reason and asks where the citizen should go instead."""
    await keep_choice_then_note(ctx, "reason", REFUSAL_LABELS, prompt_refusal_reason)


async def forward_targets(ctx: Context) -> list[Option]:
    """The units of the system that could take the petition over: all but its own."""
    petition = await ctx.store.petition(pending_petition(ctx))
    current = petition.unit if petition else ""
    return [Option(u.code, u.name) for u in ctx.env.org.units.values() if u.code != current]


async def prompt_forward_target(ctx: Context) -> None:
    """Asks which unit of the system should handle the petition instead (a page, or its name)."""
    units = await forward_targets(ctx)
    question = with_page_hint(ctx, ctx.t("officer.forward.ask_target"), len(units))
    ctx.reply(question, *page_rows(ctx, units, per_row=1), cancel_row(ctx))


@router.state("o.forward", prompt_forward_target)
async def answer_forward_target(ctx: Context) -> None:
    """Sends the petition to the chosen unit, whose officer is told."""
    if await pending_cancelled(ctx):
        return
    target = await picked(ctx, await forward_targets(ctx), prompt_forward_target)
    if target is None:
        return
    officer = await current_officer(ctx)
    if officer is None:
        ctx.reply(ctx.t("input.press_a_button"))
        await prompt_forward_target(ctx)
        return
    job = ctx.conv.data.pop("pending", {})
    try:
        moved = await reroute_petition(
            ctx.store, ctx.env, int(job.get("petition", 0)), officer, target, ctx.now
        )
    except (NotAllowed, TransitionRefused):
        await show_menu(ctx, ctx.t("officer.action.not_possible"))
        return
    unit = ctx.env.org.units[moved.unit].name
    code = moved.petition.summary.code
    await show_menu(ctx, ctx.t("officer.rerouted", code=code, unit=unit))
    if moved.assignee is not None:
        await ctx.notify_officer(moved.assignee.id, lambda tc: rerouted_to_you(tc, moved, unit))
    if moved.citizen is not None:
        await ctx.notify(
            moved.citizen,
            lambda t: Reply(t("citizen.rerouted", code=code, unit=unit)),
            about=moved.petition.summary.id,
        )


def rerouted_to_you(t: Translator, moved: Rerouted, unit: str) -> Reply:
    """The new officer learns a petition came to them, with a button to open it."""
    code, petition_id = moved.petition.summary.code, moved.petition.summary.id
    return Reply(
        t("officer.rerouted_to_you", code=code, unit=unit),
        ((Button(t("officer.open"), f"op:{petition_id}"),),),
    )


NOTE_QUESTIONS = {
    Action.REFUSE: N_("officer.refuse.ask_note"),
    Action.GUIDE: N_("officer.guide.ask_note"),
    Action.FORWARD: N_("officer.forward.ask_note"),
    Action.ASK_CITIZEN: N_("officer.ask.ask_question"),
    Action.EXTEND: N_("officer.extend.ask_reason"),
}


async def prompt_note(ctx: Context) -> None:
    """Asks for the words the citizen will read: where to go, what to bring."""
    action = Action(pending(ctx).get("action", Action.GUIDE))
    ctx.reply(ctx.t(NOTE_QUESTIONS.get(action, NOTE_QUESTIONS[Action.GUIDE])), cancel_row(ctx))


@router.state("o.note", prompt_note)
async def answer_note(ctx: Context) -> None:
    """Completes a refusal, guidance or forwarding and tells the citizen."""
    if await pending_cancelled(ctx):
        return
    note = " ".join((ctx.incoming.text or "").split())
    if ctx.incoming.kind is not Kind.TEXT or not 5 <= len(note) <= MAX_NOTE_CHARS:
        ctx.reply(ctx.t("officer.refuse.note_invalid", limit=MAX_NOTE_CHARS))
        return
    officer = await current_officer(ctx)
    if officer is None:
        return
    job = ctx.conv.data.pop("pending", {})
    petition_id, action = int(job.get("petition", 0)), Action(job.get("action", Action.GUIDE))
    try:
        if action == Action.EXTEND:
            requested = await request_extension(
                ctx.store,
                ctx.env,
                petition_id,
                officer,
                str(job.get("complexity", "")),
                note,
                ctx.now,
            )
            code, citizen = requested.petition.summary.code, None
            told = None
            for head in requested.heads:
                await ctx.notify_officer(
                    head.id,
                    functools.partial(
                        extension_for_head,
                        requested=requested,
                        complexity=str(job.get("complexity", "")),
                        note=note,
                        officer=officer.name,
                    ),
                )
        elif action == Action.ASK_CITIZEN:
            asked = await ask_citizen(ctx.store, ctx.env, petition_id, officer, note, ctx.now)
            code, citizen = asked.petition.summary.code, asked.citizen
            told = functools.partial(question_for_citizen, asked=asked, question=note)
        elif action == Action.REFUSE:
            refused = await refuse_petition(
                ctx.store, ctx.env, petition_id, officer, str(job.get("reason", "")), note, ctx.now
            )
            code, citizen = refused.petition.summary.code, refused.citizen
            told = functools.partial(citizen_refused, refused=refused, note=note)
        else:
            ended = await end_with_note(
                ctx.store, ctx.env, petition_id, officer, action, note, ctx.now
            )
            code, citizen = ended.petition.summary.code, ended.citizen
            told = functools.partial(
                citizen_note, message_id=CITIZEN_NOTES[action], code=code, note=note
            )
    except NotAllowed:
        log.warning("officer %s refused %s on %s", officer.handle, action, petition_id)
        await show_menu(ctx, ctx.t("officer.not_allowed"))
        return
    except TransitionRefused:
        await show_menu(ctx, ctx.t("officer.action.not_possible"))
        return
    await show_menu(ctx, ctx.t(DONE_MESSAGES[action], code=code))
    if citizen is not None and told is not None:
        await ctx.notify(citizen, told, about=petition_id)


DONE_MESSAGES = {
    Action.REFUSE: N_("officer.refused"),
    Action.GUIDE: N_("officer.guided"),
    Action.FORWARD: N_("officer.forwarded"),
    Action.ASK_CITIZEN: N_("officer.asked"),
    Action.EXTEND: N_("officer.extension_requested"),
}
CITIZEN_NOTES = {Action.GUIDE: N_("citizen.guided"), Action.FORWARD: N_("citizen.forwarded")}


COMPLEXITY_LABELS = {
    "complex": N_("officer.extend.complex"),
    "especially_complex": N_("officer.extend.especially_complex"),
}


async def prompt_extension_case(ctx: Context) -> None:
    """Asks how complex the case is: it sets how many extensions the law allows."""
    rows = [[ctx.button(ctx.t(label), code)] for code, label in COMPLEXITY_LABELS.items()]
    ctx.reply(ctx.t("officer.extend.ask_case"), *rows, cancel_row(ctx))


@router.state("o.extend", prompt_extension_case)
async def answer_extension_case(ctx: Context) -> None:
    """Keeps the complexity and asks for the reason the head will read."""
    await keep_choice_then_note(ctx, "complexity", COMPLEXITY_LABELS, prompt_extension_case)


def extension_for_head(
    t: Translator, requested: ExtensionRequested, complexity: str, note: str, officer: str
) -> Reply:
    """The head reads the request and decides with one press."""
    petition_id, code = requested.petition.summary.id, requested.petition.summary.code
    data = f"xa:{petition_id}.{complexity}"
    return Reply(
        t(
            "officer.extend.request",
            code=code,
            officer=officer,
            case=t(COMPLEXITY_LABELS[complexity]),
            note=note,
        ),
        (
            (Button(t("officer.extend.approve"), f"{data}.yes"),),
            (Button(t("officer.extend.decline"), f"{data}.no"),),
            (Button(t("officer.open"), f"op:{petition_id}"),),
        ),
    )


@router.global_button("xa")
async def decide_on_extension(ctx: Context) -> None:
    """A head approves or declines an extension; checked again on the server."""
    head = await current_officer(ctx)
    if head is None:
        return
    petition, complexity, verdict = [*(ctx.choice or "").split("."), "", "", ""][:3]
    petition_id = number_in(petition)
    if petition_id is None or verdict not in {"yes", "no"}:
        ctx.reply(ctx.t("input.unknown_button"))
        return
    try:
        decided = await decide_extension(
            ctx.store, ctx.env, petition_id, head, complexity, verdict == "yes", ctx.now
        )
    except NotAllowed:
        log.warning("officer %s refused extension decision on %s", head.handle, petition_id)
        ctx.reply(ctx.t("officer.not_allowed"))
        return
    except TooManyExtensions:
        ctx.reply(ctx.t("officer.extend.too_many"))
        return
    except TransitionRefused:
        ctx.reply(ctx.t("officer.action.not_possible"))
        return
    code = decided.petition.summary.code
    if decided.new_due is None:
        ctx.reply(ctx.t("officer.extend.declined", code=code))
        message = functools.partial(extension_declined, code=code)
    else:
        ctx.reply(ctx.t("officer.extend.approved", code=code, date=ctx.t.date(decided.new_due)))
        message = functools.partial(extension_approved, code=code, due=decided.new_due)
        if decided.citizen is not None:
            await ctx.notify(decided.citizen, message, about=decided.petition.summary.id)
    if decided.assignee is not None:
        await ctx.notify_officer(decided.assignee.id, message)


def extension_approved(t: Translator, code: str, due: date) -> Reply:
    """The new date, for the denouncer and the resolver (LTC Art. 30)."""
    return Reply(t("citizen.extended", code=code, date=t.date(due)))


def extension_declined(t: Translator, code: str) -> Reply:
    """The resolver learns the head did not agree."""
    return Reply(t("officer.extend.declined", code=code))


def question_for_citizen(t: Translator, asked: Asked, question: str) -> Reply:
    """The officer's question, with the button that opens the citizen's answer."""
    code, petition_id = asked.petition.summary.code, asked.petition.summary.id
    return Reply(
        t("citizen.question", code=code, question=question),
        ((Button(t("citizen.question.answer"), f"ca:{petition_id}"),),),
    )


def citizen_note(t: Translator, message_id: str, code: str, note: str) -> Reply:
    """Tells the citizen the petition ended here and where to go, in the officer's words."""
    return Reply(t(message_id, code=code, note=note))


def citizen_refused(t: Translator, refused: Refused, note: str) -> Reply:
    """Tells the citizen the petition is not accepted, the legal reason, and where to go."""
    return Reply(
        t(
            "citizen.refused",
            code=refused.petition.summary.code,
            reason=t(REFUSAL_LABELS[refused.reason.code]),
            basis=refused.reason.basis,
            note=note,
        )
    )


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
