"""A petition's card for an officer: the petition as the law lets this officer read it, its files,
where it happened (a pin on a map, or a map link where the messenger has no map), and the buttons
of the actions this officer may take on it now (from `ACTIONS`)."""

from __future__ import annotations

from bot.buttons import OpenPetition, PetitionAction, PetitionFiles
from bot.conversation import Context
from bot.core import Button, MapPin
from bot.domain.petition import Case, PetitionKind, mask_phone
from bot.domain.words import clip
from bot.i18n import LOCAL_TZ, Translator
from bot.labels import event_label, kind_label, rule_label, state_label
from bot.ports import DeadlineView, OfficerView, PetitionDetail, RatingView
from bot.services.access import may_see, may_see_identity
from handlers.answers import RATING_LABELS
from handlers.callbacks import on
from handlers.officer.actions import ACTIONS
from handlers.officer.base import COMPLEXITY_LABELS, router
from handlers.staff import current_officer, refuse

TIMELINE_LIMIT = 8
ANSWER_SHOWN = 300  # characters of a citizen's answer on the card; the rest is in the history


@on(router, OpenPetition)
async def open_petition(ctx: Context, data: OpenPetition) -> None:
    """Shows one petition in full to an officer allowed to see it."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    petition = await ctx.store.petition(data.petition)
    if petition is None or not may_see(ctx.env.org, officer, petition):
        refuse(ctx, officer, f"petition {data.petition}")
        return
    buttons = action_buttons(ctx, officer, petition)
    if petition.attachments and may_see_identity(officer, petition):
        label = ctx.t("officer.files.show", count=petition.attachments)
        buttons.append(Button(label, PetitionFiles(petition.summary.id).pack()))
    pin = petition_pin(ctx, petition) if may_see_identity(officer, petition) else None
    text = await petition_text(ctx, officer, petition, pin)
    ctx.reply(text, *([button] for button in buttons), pin=pin)
    if not petition.anonymous and may_see_identity(officer, petition):
        await ctx.store.audit(
            f"officer:{officer.handle}",
            "petition.identity_viewed",
            petition.summary.code,
            {},
            ctx.now,
        )


@on(router, PetitionFiles)
async def show_files(ctx: Context, data: PetitionFiles) -> None:
    """The petition's photos and documents, each sent as a file; a denunciation's files only to
    those who may know the denouncer (a scanned letter carries a name and a signature)."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    petition = await ctx.store.petition(data.petition)
    if (
        petition is None
        or not may_see(ctx.env.org, officer, petition)
        or not may_see_identity(officer, petition)
    ):
        refuse(ctx, officer, f"files of petition {data.petition}")
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
    return [
        Button(ctx.t(action.label), PetitionAction(petition.summary.id, action.name).pack())
        for action in ACTIONS.offered(ctx.env.org, officer, petition)
    ]


async def petition_text(
    ctx: Context, officer: OfficerView, petition: PetitionDetail, pin: MapPin | None
) -> str:
    """The petition as an officer reads it; the filer's identity only where the law allows, and
    the shared location's coordinates only when its `pin` is sent with the card."""
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
        place=place_text(ctx, petition, pin) or "—",
        filer=filer_text(ctx, officer, petition),
        case=case_text(t, petition.case, PetitionKind(summary.kind)) or "—",
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


def place_text(ctx: Context, petition: PetitionDetail, pin: MapPin | None) -> str:
    """Where it happened: the village, the citizen's words, and a shared location: its
    coordinates when the card comes with its `pin`, otherwise only that there is one (a
    denouncer's location may say where they live: LEGAL §4)."""
    shared = None
    if pin is not None:
        shared = ctx.t("officer.place.pinned", coordinates=pin.coordinates())
    elif petition.latitude is not None:
        shared = ctx.t("filing.place.shared_location")
    return ", ".join(part for part in (place_words(ctx, petition), shared) if part)


def place_words(ctx: Context, petition: PetitionDetail) -> str:
    """The place as the citizen named it: the village, and their own words."""
    org = ctx.env.org
    area = org.areas.get(petition.area) if petition.area else None
    village = area.name if area else None
    return ", ".join(part for part in (village, petition.place_note) if part)


def petition_pin(ctx: Context, petition: PetitionDetail) -> MapPin | None:
    """The location the citizen shared, as a pin beside the card; None when they shared none.
    Only for an officer who may know the filer (see `place_text`)."""
    title = ctx.t("officer.pin.title", code=petition.summary.code)
    return MapPin.at(petition.latitude, petition.longitude, title, place_words(ctx, petition))


def case_text(t: Translator, case: Case, kind: PetitionKind) -> str:
    """The classification in one line: the instance (of a complaint: a first or a second
    complaint; nothing else has one), remote area, complexity, group."""
    parts = []
    if kind is PetitionKind.COMPLAINT:
        parts.append(t("officer.case.instance", instance=case.instance))
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
    """The latest steps, newest last, in the officer's words: what the citizen answered, and
    how they rated the answer and why."""
    t = ctx.t
    events = (await ctx.store.petition_events(petition.summary.id))[-TIMELINE_LIMIT:]
    lines = []
    for event in events:
        line = f"• {t.datetime(event.at)}: {event_label(t, event.action, for_officer=True)}"
        if event.action == "citizen_answered" and event.reason:
            line += f" — «{clip(event.reason, ANSWER_SHOWN)}»"
        elif event.action == "rated":
            line += rating_text(t, await ctx.store.rating(petition.summary.id))
        lines.append(line)
    return "\n".join(lines)


def rating_text(t: Translator, rating: RatingView | None) -> str:
    """« — ⭐⭐⭐⭐ 4/5 · Trả lời rõ ràng · «comment»», or nothing when there is none."""
    if rating is None:
        return ""
    parts = [f"{'⭐' * rating.score} {rating.score}/5"]
    if rating.reason in RATING_LABELS:
        parts.append(t(RATING_LABELS[rating.reason]))
    if rating.comment:
        parts.append(f"«{clip(rating.comment, ANSWER_SHOWN)}»")
    return " — " + " · ".join(parts)
