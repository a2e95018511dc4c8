"""An officer's work after intake, in chat: classify, reassign, note, dialogue, answer, designate.

Each question re-checks the officer on the server through the services; the pending action in the
conversation only remembers which petition is meant.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from bot.conversation import Context, Handler, ask, number_in
from bot.core import Button, FileRef, Kind, Recipient, Reply
from bot.domain.deadlines import TooManyExtensions
from bot.domain.petition import Case, Outcome, PetitionKind, PetitionState, outcomes_for
from bot.domain.workflow import TransitionRefused
from bot.i18n import LOCAL_TZ, N_, Translator
from bot.labels import KIND_LABELS, OUTCOME_LABELS, kind_label, rule_label
from bot.ports import DeadlineView, OfficerView, PetitionDetail
from bot.services.answers import AnswerProposed, decide_answer, propose_answer
from bot.services.casework import (
    ClassificationRefused,
    Reclassified,
    add_verification_note,
    grant_identity,
    identity_candidates,
    reassign_within_unit,
    reassignable_officers,
    reclassify,
    record_minutes,
    schedule_dialogue,
)
from bot.services.workflow import AnswerSent, NotAllowed
from handlers.common import show_menu
from handlers.compose import Composer
from handlers.officer import COMPLEXITY_LABELS
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

ANSWER = Composer("answer", N_("officer.answer.send"), N_("officer.answer.noted"), 1, "pending")
NOTE = Composer("note", N_("officer.note.send"), N_("officer.note.noted"), scope="pending")
MINUTES = Composer(
    "minutes", N_("officer.minutes.send"), N_("officer.minutes.noted"), scope="pending"
)
MIN_TEXT_CHARS = 5
MAX_PLACE_CHARS = 300


async def the_petition(ctx: Context) -> PetitionDetail | None:
    """The petition the pending action is about, as stored now."""
    return await ctx.store.petition(pending_petition(ctx))


async def finish_refused(ctx: Context, officer: OfficerView, error: Exception) -> None:
    """The service said no: tell the officer why in plain words, and go back to the menu."""
    if isinstance(error, NotAllowed):
        refuse(ctx, officer, str(error))
        await show_menu(ctx)
    elif isinstance(error, ClassificationRefused):
        await show_menu(ctx, ctx.t(error.reason))
    else:
        await show_menu(ctx, ctx.t("officer.action.not_possible"))


# --- composing: the answer, a verification note, the minutes of a dialogue ----------------------


async def petition_outcomes(ctx: Context) -> tuple[Outcome, ...]:
    """The outcomes the answer to the pending petition must state."""
    petition = await the_petition(ctx)
    return outcomes_for(petition.summary.kind, petition.case.instance) if petition else ()


async def prompt_outcome(ctx: Context) -> None:
    """Asks how the complaint or denunciation was decided; other kinds go straight on."""
    outcomes = await petition_outcomes(ctx)
    if not outcomes:
        await ask(router, ctx, "w.answer")
        return
    rows = [[ctx.button(ctx.t(OUTCOME_LABELS[o]), o.value)] for o in outcomes]
    ctx.reply(ctx.t("officer.answer.ask_outcome"), *rows, cancel_row(ctx))


@router.state("w.outcome", prompt_outcome)
async def take_outcome(ctx: Context) -> None:
    """Keeps the outcome, then asks for the answer itself."""
    if await pending_cancelled(ctx):
        return
    if ctx.choice not in {o.value for o in await petition_outcomes(ctx)}:
        ctx.reply(ctx.t("input.press_a_button"))
        await prompt_outcome(ctx)
        return
    pending(ctx)["outcome"] = ctx.choice
    await ask(router, ctx, "w.answer")


async def prompt_answer(ctx: Context) -> None:
    ctx.reply(ctx.t("officer.answer.ask_text"), *ANSWER.buttons(ctx))


@router.state("w.answer", prompt_answer)
async def take_answer(ctx: Context) -> None:
    """Collects the answer (text and at most one document); Send delivers or submits it."""
    outcome = pending(ctx).get("outcome")
    result = await submit_composed(ctx, ANSWER, functools.partial(propose_answer, outcome=outcome))
    if result is None:
        return
    officer = await current_officer(ctx)
    if officer is None:
        return
    if isinstance(result, AnswerProposed):
        await submitted_for_approval(ctx, officer, result)
    else:
        await show_menu(ctx, ctx.t("officer.answered", code=result.petition.summary.code))
        await deliver_answer(ctx, result)


async def submitted_for_approval(
    ctx: Context, officer: OfficerView, proposed: AnswerProposed
) -> None:
    """The draft goes to the unit's heads, each with Approve and Return."""
    code = proposed.petition.summary.code
    await show_menu(ctx, ctx.t("officer.answer.submitted", code=code))
    draft = await ctx.store.last_event(proposed.petition.summary.id, {"answer_proposed"})
    text = draft.reason if draft else ""
    for head in proposed.heads:
        await ctx.notify_officer(
            head.id,
            functools.partial(
                approval_request, proposed=proposed, author=officer.name, text=text or ""
            ),
        )


def approval_request(t: Translator, proposed: AnswerProposed, author: str, text: str) -> Reply:
    """The head reads the draft and decides with one press."""
    petition_id, code = proposed.petition.summary.id, proposed.petition.summary.code
    data = f"ad:{petition_id}.{proposed.proposal_id}"
    return Reply(
        t("officer.answer.approval", code=code, officer=author, text=text),
        (
            (Button(t("officer.answer.approve"), f"{data}.yes"),),
            (Button(t("officer.answer.return"), f"{data}.no"),),
            (Button(t("officer.open"), f"op:{petition_id}"),),
        ),
    )


async def deliver_answer(ctx: Context, sent: AnswerSent) -> None:
    """The citizen receives the answer, its document, and what they can do next."""
    if sent.citizen is None:
        return
    citizen = sent.citizen
    await ctx.notify(
        citizen, lambda t: answer_for_citizen(t, sent, citizen), about=sent.petition.summary.id
    )


def answer_for_citizen(t: Translator, sent: AnswerSent, citizen: Recipient) -> Reply:
    """The answer; for a complaint the second-complaint window; the rating; «not resolved»."""
    petition = sent.petition
    code, petition_id = petition.summary.code, petition.summary.id
    lines = [t("citizen.answer", code=code, text=sent.text)]
    rows: list[tuple[Button, ...]] = []
    if sent.second_complaint_until is not None:
        until = t.date(sent.second_complaint_until)
        lines.append(t("citizen.answer.second_complaint", date=until))
        rows.append((Button(t("citizen.appeal.button"), f"ap:{petition_id}"),))
    if petition.summary.kind in {PetitionKind.PETITION, PetitionKind.FEEDBACK}:
        rows.append((Button(t("citizen.reopen.button"), f"cn:{petition_id}"),))
    lines.append(t("citizen.answer.rate"))
    stars = tuple(Button("⭐" * score, f"cr:{petition_id}.{score}") for score in range(1, 6))
    return Reply("\n".join(lines), (stars[:3], stars[3:], *rows), attachment=sent.document)


@router.global_button("ad")
async def decide_on_answer(ctx: Context) -> None:
    """A head approves a draft answer (it goes out) or returns it (asked why)."""
    head = await current_officer(ctx)
    if head is None:
        return
    petition, proposal, verdict = [*(ctx.choice or "").split("."), "", "", ""][:3]
    petition_id, proposal_id = number_in(petition), number_in(proposal)
    if petition_id is None or proposal_id is None or verdict not in {"yes", "no"}:
        ctx.reply(ctx.t("input.unknown_button"))
        return
    if verdict == "no":
        ctx.conv.data["pending"] = {"petition": petition_id, "proposal": proposal_id}
        await ask(router, ctx, "w.return")
        return
    try:
        decided = await decide_answer(
            ctx.store, ctx.env, petition_id, proposal_id, head, True, None, ctx.now
        )
    except NotAllowed:
        refuse(ctx, head, f"approving answer {proposal_id}")
        return
    except TransitionRefused:
        ctx.reply(ctx.t("officer.action.not_possible"))
        return
    code = decided.petition.summary.code
    ctx.reply(ctx.t("officer.answered", code=code))
    if decided.author is not None:
        await ctx.notify_officer(
            decided.author.id, lambda t: Reply(t("officer.answer.approved", code=code))
        )
    if decided.sent is not None:
        await deliver_answer(ctx, decided.sent)


async def prompt_return_reason(ctx: Context) -> None:
    ctx.reply(ctx.t("officer.answer.ask_return_reason"), cancel_row(ctx))


@router.state("w.return", prompt_return_reason)
async def take_return_reason(ctx: Context) -> None:
    """Returns the draft to its author with the head's reason."""
    if await pending_cancelled(ctx):
        return
    head = await current_officer(ctx)
    reason = note_text(ctx)
    if head is None or reason is None:
        return
    job = ctx.conv.data.pop("pending", {})
    try:
        decided = await decide_answer(
            ctx.store,
            ctx.env,
            int(job.get("petition", 0)),
            int(job.get("proposal", 0)),
            head,
            False,
            reason,
            ctx.now,
        )
    except (NotAllowed, TransitionRefused) as error:
        await finish_refused(ctx, head, error)
        return
    code, petition_id = decided.petition.summary.code, decided.petition.summary.id
    await show_menu(ctx, ctx.t("officer.answer.returned", code=code))
    if decided.author is not None:
        await ctx.notify_officer(
            decided.author.id,
            lambda t: Reply(
                t("officer.answer.returned_to_author", code=code, reason=reason),
                ((Button(t("officer.open"), f"op:{petition_id}"),),),
            ),
        )


def note_text(ctx: Context) -> str | None:
    """A short text the officer typed, or None after asking again politely."""
    text = " ".join((ctx.incoming.text or "").split())
    if ctx.incoming.kind is not Kind.TEXT or not MIN_TEXT_CHARS <= len(text) <= MAX_NOTE_CHARS:
        ctx.reply(ctx.t("officer.refuse.note_invalid", limit=MAX_NOTE_CHARS))
        return None
    return text


async def prompt_note(ctx: Context) -> None:
    ctx.reply(ctx.t("officer.note.ask"), *NOTE.buttons(ctx))


@router.state("w.note", prompt_note)
async def take_note(ctx: Context) -> None:
    """A verification note with its evidence, kept on the file; not sent to the citizen."""
    added = await submit_composed(ctx, NOTE, add_verification_note)
    if added is None:
        return
    code = added.petition.summary.code
    files = len(added.files)
    await show_menu(ctx, ctx.t("officer.note.saved", code=code, files=files))
    if added.citizen is not None:
        await ctx.notify(
            added.citizen,
            lambda t: Reply(t("citizen.verifying", code=code)),
            about=added.petition.summary.id,
        )


Result = TypeVar("Result")


async def submit_composed(
    ctx: Context, composer: Composer, service: Callable[..., Awaitable[Result]]
) -> Result | None:
    """Once Send is pressed, hand the words and files to the service; None until then, or if
    the service refused (the officer has been told why)."""
    written, officer = await composed(ctx, composer)
    if written is None or officer is None:
        return None
    text, files = written
    try:
        result = await service(
            ctx.store,
            ctx.env,
            pending_petition(ctx),
            officer,
            text,
            files,
            ctx.incoming.channel,
            ctx.now,
        )
    except (NotAllowed, TransitionRefused) as error:
        await finish_refused(ctx, officer, error)
        return None
    ctx.conv.data.pop("pending", None)
    return result


async def composed(
    ctx: Context, composer: Composer
) -> tuple[tuple[str, tuple[FileRef, ...]] | None, OfficerView | None]:
    """The finished text and files once Send is pressed; None while writing or after Cancel."""
    written = await composer.take_until_sent(ctx, N_("officer.pending.cancelled"))
    if written is None:
        return None, None
    if len(written.text) < MIN_TEXT_CHARS:
        ctx.reply(ctx.t("officer.text.too_short"))
        await router.states[ctx.conv.state].prompt(ctx)
        return None, None
    return (written.text, written.files), await current_officer(ctx)


# --- dialogue with a complainant (LKN Art. 30) --------------------------------------------------


async def prompt_dialogue_time(ctx: Context) -> None:
    ctx.reply(ctx.t("officer.dialogue.ask_time"), cancel_row(ctx))


@router.state("w.dialogue.when", prompt_dialogue_time)
async def take_dialogue_time(ctx: Context) -> None:
    """The date and time, typed as dd/mm/yyyy hh:mm, in Vietnam's time, in the future."""
    if await pending_cancelled(ctx):
        return
    when = parse_local_datetime(ctx.incoming.text or "")
    if when is None or when <= ctx.now:
        ctx.reply(ctx.t("officer.dialogue.time_invalid"))
        return
    pending(ctx)["at"] = when.isoformat()
    await ask(router, ctx, "w.dialogue.place")


def parse_local_datetime(text: str) -> datetime | None:
    """«25/03/2026 14:00» as a moment in Asia/Ho_Chi_Minh, or None."""
    try:
        return datetime.strptime(" ".join(text.split()), "%d/%m/%Y %H:%M").replace(tzinfo=LOCAL_TZ)
    except ValueError:
        return None


async def prompt_dialogue_place(ctx: Context) -> None:
    ctx.reply(ctx.t("officer.dialogue.ask_place"), cancel_row(ctx))


@router.state("w.dialogue.place", prompt_dialogue_place)
async def take_dialogue_place(ctx: Context) -> None:
    """Schedules the dialogue and sends the complainant the invitation."""
    if await pending_cancelled(ctx):
        return
    officer = await current_officer(ctx)
    place = " ".join((ctx.incoming.text or "").split())
    if officer is None:
        return
    if ctx.incoming.kind is not Kind.TEXT or not MIN_TEXT_CHARS <= len(place) <= MAX_PLACE_CHARS:
        ctx.reply(ctx.t("officer.dialogue.place_invalid", limit=MAX_PLACE_CHARS))
        return
    job = ctx.conv.data.pop("pending", {})
    at = datetime.fromisoformat(str(job.get("at")))
    try:
        held = await schedule_dialogue(
            ctx.store, ctx.env, int(job.get("petition", 0)), officer, at, place, ctx.now
        )
    except (NotAllowed, TransitionRefused) as error:
        await finish_refused(ctx, officer, error)
        return
    code = held.petition.summary.code
    await show_menu(
        ctx, ctx.t("officer.dialogue.scheduled", code=code, time=ctx.t.datetime(at), place=place)
    )
    if held.citizen is not None:
        await ctx.notify(
            held.citizen,
            lambda t: Reply(t("citizen.dialogue", code=code, time=t.datetime(at), place=place)),
            about=held.petition.summary.id,
        )


async def prompt_minutes(ctx: Context) -> None:
    ctx.reply(ctx.t("officer.minutes.ask"), *MINUTES.buttons(ctx))


@router.state("w.minutes", prompt_minutes)
async def take_minutes(ctx: Context) -> None:
    """The minutes join the file and go to the complainant."""
    recorded = await submit_composed(ctx, MINUTES, record_minutes)
    if recorded is None:
        return
    code = recorded.petition.summary.code
    await show_menu(ctx, ctx.t("officer.minutes.saved", code=code))
    citizen = recorded.citizen
    if citizen is not None:
        await ctx.notify(
            citizen,
            lambda t: Reply(
                t("citizen.minutes", code=code, text=recorded.text), attachment=recorded.document
            ),
            about=recorded.petition.summary.id,
        )


# --- classification -----------------------------------------------------------------------------

REMOTE_TOGGLE = {
    False: N_("officer.classify.remote_on"),
    True: N_("officer.classify.remote_off"),
}
COMPLEXITY_CHOICES = {"normal": N_("officer.classify.normal"), **COMPLEXITY_LABELS}


async def prompt_classify(ctx: Context) -> None:
    """What to change: the kind and instance only before acceptance."""
    petition = await the_petition(ctx)
    if petition is None:
        await show_menu(ctx, ctx.t("officer.action.not_possible"))
        return
    t = ctx.t
    case = petition.case
    rows = []
    if petition.summary.state == PetitionState.RECEIVED:
        rows.append([ctx.button(t("officer.classify.kind"), "kind")])
        if petition.summary.kind == PetitionKind.COMPLAINT:
            label = t("officer.classify.instance", instance=2 if case.instance == 1 else 1)
            rows.append([ctx.button(label, "instance")])
    rows += [
        [ctx.button(t("officer.classify.field"), "field")],
        [ctx.button(t(REMOTE_TOGGLE[case.remote_area]), "remote")],
        [ctx.button(t("officer.classify.complexity"), "complexity")],
        [ctx.button(t("officer.classify.group"), "group")],
        cancel_row(ctx),
    ]
    ctx.reply(t("officer.classify.ask", code=petition.summary.code), *rows)


@router.state("w.classify", prompt_classify)
async def take_classify_aspect(ctx: Context) -> None:
    """Toggles apply at once; the others ask for the new value."""
    if await pending_cancelled(ctx):
        return
    petition = await the_petition(ctx)
    aspect = ctx.choice or ""
    if petition is None or aspect not in {
        "kind",
        "instance",
        "field",
        "remote",
        "complexity",
        "group",
    }:
        ctx.reply(ctx.t("input.press_a_button"))
        await prompt_classify(ctx)
        return
    case = petition.case
    if aspect == "instance":
        await apply_classification(
            ctx, petition, case=dataclasses.replace(case, instance=3 - case.instance)
        )
    elif aspect == "remote":
        await apply_classification(
            ctx, petition, case=dataclasses.replace(case, remote_area=not case.remote_area)
        )
    else:
        await ask(router, ctx, f"w.classify.{aspect}")


async def apply_classification(
    ctx: Context,
    petition: PetitionDetail,
    *,
    kind: str | None = None,
    field: str | None = None,
    case: Case | None = None,
) -> None:
    """Store the change, tell the officer the dates, and the citizen if anything they read moved."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    ctx.conv.data.pop("pending", None)
    try:
        done = await reclassify(
            ctx.store,
            ctx.env,
            petition.summary.id,
            officer,
            kind or petition.summary.kind,
            field or petition.summary.field,
            case or petition.case,
            ctx.now,
        )
    except (NotAllowed, TransitionRefused, ClassificationRefused, TooManyExtensions) as error:
        await finish_refused(ctx, officer, error)
        return
    await show_menu(ctx, classified_text(ctx.t, done, ctx))
    if done.citizen is not None and done.citizen_should_know:
        await ctx.notify(
            done.citizen,
            lambda t: Reply(citizen_classified_text(t, done, ctx)),
            about=done.petition.summary.id,
        )


def classified_text(t: Translator, done: Reclassified, ctx: Context) -> str:
    """For the officer: the new classification and any date it moved."""
    lines = [t("officer.classified", code=done.petition.summary.code)]
    lines += moved_lines(t, done.moved)
    return "\n".join(lines)


def citizen_classified_text(t: Translator, done: Reclassified, ctx: Context) -> str:
    """For the citizen: what their petition now is, and the dates that count."""
    field = ctx.env.org.field(done.field)
    lines = [
        t(
            "citizen.classified",
            code=done.petition.summary.code,
            kind=kind_label(t, done.kind),
            field=t(field.label) if field else done.field,
        )
    ]
    lines += moved_lines(t, done.moved)
    return "\n".join(lines)


def moved_lines(t: Translator, moved: tuple[DeadlineView, ...]) -> list[str]:
    """One line per deadline that has a new date."""
    return [
        t("officer.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date)) for d in moved
    ]


async def prompt_classify_kind(ctx: Context) -> None:
    rows = [[ctx.button(ctx.t(label), code)] for code, label in KIND_LABELS.items()]
    ctx.reply(ctx.t("officer.classify.ask_kind"), *rows, cancel_row(ctx))


@router.state("w.classify.kind", prompt_classify_kind)
async def take_classify_kind(ctx: Context) -> None:
    await take_classify_choice(ctx, set(KIND_LABELS), "kind", prompt_classify_kind)


async def prompt_classify_field(ctx: Context) -> None:
    rows = [[ctx.button(ctx.t(item.label), item.code)] for item in ctx.env.org.fields]
    ctx.reply(ctx.t("officer.classify.ask_field"), *rows, cancel_row(ctx))


@router.state("w.classify.field", prompt_classify_field)
async def take_classify_field(ctx: Context) -> None:
    fields = {item.code for item in ctx.env.org.fields}
    await take_classify_choice(ctx, fields, "field", prompt_classify_field)


async def prompt_classify_complexity(ctx: Context) -> None:
    rows = [[ctx.button(ctx.t(label), code)] for code, label in COMPLEXITY_CHOICES.items()]
    ctx.reply(ctx.t("officer.classify.ask_complexity"), *rows, cancel_row(ctx))


@router.state("w.classify.complexity", prompt_classify_complexity)
async def take_classify_complexity(ctx: Context) -> None:
    await take_classify_choice(
        ctx, set(COMPLEXITY_CHOICES), "complexity", prompt_classify_complexity
    )


async def take_classify_choice(
    ctx: Context, choices: set[str], aspect: str, prompt: Handler
) -> None:
    """A pressed value of one aspect, applied."""
    if await pending_cancelled(ctx):
        return
    petition = await the_petition(ctx)
    if petition is None or ctx.choice not in choices:
        ctx.reply(ctx.t("input.press_a_button"))
        await prompt(ctx)
        return
    value = ctx.choice
    if aspect == "kind":
        await apply_classification(ctx, petition, kind=value)
    elif aspect == "field":
        await apply_classification(ctx, petition, field=value)
    else:
        case = dataclasses.replace(
            petition.case,
            complex=value == "complex",
            especially_complex=value == "especially_complex",
        )
        await apply_classification(ctx, petition, case=case)


async def prompt_classify_group(ctx: Context) -> None:
    ctx.reply(ctx.t("officer.classify.ask_group"), cancel_row(ctx))


@router.state("w.classify.group", prompt_classify_group)
async def take_classify_group(ctx: Context) -> None:
    """«12 3»: twelve people, three representatives; «1» for one person."""
    if await pending_cancelled(ctx):
        return
    words = (ctx.incoming.text or "").replace(",", " ").split()
    numbers = [n for n in map(number_in, words) if n is not None]
    valid = (
        ctx.incoming.kind is Kind.TEXT
        and 1 <= len(words) <= 2
        and len(numbers) == len(words)  # "²" or "١٢" are no count
        and 1 <= numbers[0] <= 10_000
        and (len(numbers) == 1 or numbers[1] <= numbers[0])
    )
    petition = await the_petition(ctx)
    if not valid or petition is None:
        ctx.reply(ctx.t("officer.classify.group_invalid"))
        return
    people = numbers[0]
    representatives = numbers[1] if len(numbers) == 2 else 0
    case = dataclasses.replace(petition.case, group_size=people, representatives=representatives)
    await apply_classification(ctx, petition, case=case)


# --- reassignment and designation ---------------------------------------------------------------


async def ask_to_choose_officer(
    ctx: Context, officers: list[OfficerView], question: str, nobody: str
) -> None:
    """One button per officer (name and title), or back to the menu when there is nobody."""
    if not officers:
        ctx.conv.data.pop("pending", None)
        await show_menu(ctx, ctx.t(nobody))
        return
    rows = [[ctx.button(f"{o.name} · {o.title}", o.handle)] for o in officers]
    ctx.reply(ctx.t(question), *rows, cancel_row(ctx))


async def act_on_chosen_officer(
    ctx: Context, service: Callable[..., Awaitable[Result]]
) -> tuple[OfficerView, Result] | None:
    """The head's pressed choice, handed to the service, which checks it against the list."""
    if await pending_cancelled(ctx):
        return None
    head = await current_officer(ctx)
    if head is None:
        return None
    job = ctx.conv.data.pop("pending", {})
    petition_id, handle = int(job.get("petition", 0)), ctx.choice or ""
    try:
        return head, await service(ctx.store, ctx.env, petition_id, head, handle, ctx.now)
    except (NotAllowed, TransitionRefused) as error:
        await finish_refused(ctx, head, error)
        return None


async def prompt_reassign(ctx: Context) -> None:
    petition = await the_petition(ctx)
    officers = await reassignable_officers(ctx.store, petition) if petition else []
    await ask_to_choose_officer(
        ctx, officers, N_("officer.reassign.ask"), N_("officer.reassign.nobody")
    )


@router.state("w.reassign", prompt_reassign)
async def take_reassign(ctx: Context) -> None:
    """Gives the petition to the chosen officer; both officers and the citizen are told."""
    acted = await act_on_chosen_officer(ctx, reassign_within_unit)
    if acted is None:
        return
    head, moved = acted
    code, petition_id = moved.petition.summary.code, moved.petition.summary.id
    await show_menu(ctx, ctx.t("officer.reassigned", code=code, officer=moved.assignee.name))
    await ctx.notify_officer(
        moved.assignee.id,
        lambda t: Reply(
            t(
                "officer.reassigned_to_you",
                code=code,
                kind=kind_label(t, moved.petition.summary.kind),
            ),
            ((Button(t("officer.open"), f"op:{petition_id}"),),),
        ),
    )
    if moved.previous is not None and moved.previous.id != head.id:
        name = moved.assignee.name
        await ctx.notify_officer(
            moved.previous.id, lambda t: Reply(t("officer.reassigned", code=code, officer=name))
        )
    if moved.citizen is not None:
        await ctx.notify(
            moved.citizen,
            lambda t: Reply(t("citizen.reassigned", code=code)),
            about=moved.petition.summary.id,
        )


async def prompt_identity(ctx: Context) -> None:
    head = await current_officer(ctx)
    petition = await the_petition(ctx)
    if head is None or petition is None:
        return
    officers = await identity_candidates(ctx.store, ctx.env, head, petition)
    await ask_to_choose_officer(
        ctx, officers, N_("officer.identity.ask"), N_("officer.identity.nobody")
    )


@router.state("w.identity", prompt_identity)
async def take_identity(ctx: Context) -> None:
    """Lets the chosen officer know the denouncer; the grant and each view are logged."""
    acted = await act_on_chosen_officer(ctx, grant_identity)
    if acted is None:
        return
    head, granted = acted
    code, petition_id = granted.petition.summary.code, granted.petition.summary.id
    name = granted.officer.name
    await show_menu(ctx, ctx.t("officer.identity.granted", code=code, officer=name))
    if granted.officer.id != head.id:
        await ctx.notify_officer(
            granted.officer.id,
            lambda t: Reply(
                t("officer.identity.granted_to_you", code=code),
                ((Button(t("officer.open"), f"op:{petition_id}"),),),
            ),
        )
