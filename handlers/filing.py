"""Gửi đơn: the guided filing conversation (DESIGN §2 step 2).

kind → field → commune (when there are several) → place → content → identity → review → receipt.
Every question has Back and Cancel; the draft lives in the conversation, so it survives hours of
silence and restarts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from bot.buttons import OpenPetition
from bot.conversation import Context, Router, ask
from bot.core import NO_LOCATION_CHANNELS, Button, FileRef, Kind, MapPin, Reply
from bot.domain.org import Point
from bot.domain.petition import (
    IDENTITY_NEEDS,
    MAX_ADDRESS_CHARS,
    MAX_ATTACHMENTS,
    MAX_CONTENT_CHARS,
    MAX_NAME_CHARS,
    PetitionKind,
    mask_phone,
    normalise_phone,
)
from bot.domain.places import located, nearby, on_the_map
from bot.domain.words import clip
from bot.flow import Flow, nav_buttons
from bot.i18n import N_, Translator
from bot.labels import (
    ANY_COMMUNE,
    ANY_VILLAGE,
    DAY_UNITS,
    KIND_EXPLANATIONS,
    as_heading,
    kind_label,
    place_types,
    rule_label,
)
from bot.ports import CitizenView
from bot.services.filing import Draft, Filed, file_petition
from handlers.common import show_menu, unsupported_text
from handlers.dialogues import follow_offer
from handlers.filer import ACCUSED_LABELS, field_options, kind_options
from handlers.picker import Option, page_rows, picked, typed_matches, typed_text, with_page_hint
from handlers.steps import choose, labelled, pressed, within

log = logging.getLogger(__name__)

router = Router()

ACCEPTED_MEDIA = frozenset({"photo", "document", "voice", "audio", "video"})
ACCEPTED_DOCUMENT_TYPES = (
    "application/pdf",
    "image/",
    "audio/",
    "video/",
    "application/msword",
    "application/vnd.openxmlformats-officedocument",
    "application/vnd.ms-excel",
    "text/plain",
)


@dataclass
class Writing:
    """The petition being written, as far as the citizen has got."""

    kind: str | None = None
    field: str | None = None
    accused: str | None = None
    commune: str | None = None
    area: str | None = None
    place_note: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    texts: list[str] = dataclass_field(default_factory=list)
    files: list[dict[str, Any]] = dataclass_field(default_factory=list)
    anonymous: bool = False
    name: str | None = None
    phone: str | None = None
    address: str | None = None

    @property
    def petition_kind(self) -> PetitionKind:
        """The kind chosen: every question after the first has one."""
        return PetitionKind(self.kind or "")

    def forget_identity(self) -> None:
        """Anonymous from now on: no name, phone or address goes with it."""
        self.anonymous, self.name, self.phone, self.address = True, None, None, None


async def leave(ctx: Context, text: str | None) -> None:
    """Back to the menu (the draft is dropped by the flow on Cancel, kept otherwise)."""
    await show_menu(ctx, text)


FILING = Flow(
    router,
    "draft",
    Writing,
    {
        "f.kind": ("f.field",),
        "f.field": ("f.accused", "f.commune", "f.place"),
        "f.accused": ("f.commune", "f.place"),
        "f.commune": ("f.place", "f.content"),
        "f.place": ("f.content",),
        "f.content": ("f.anonymous", "f.protect", "f.identity"),
        "f.anonymous": ("f.review", "f.identity"),
        "f.protect": ("f.identity", "f.review"),
        "f.identity": ("f.review", "f.name"),
        "f.name": ("f.phone",),
        "f.phone": ("f.address",),
        "f.address": ("f.review",),
        "f.review": (),
    },
    leave=leave,
    cancelled=N_("filing.cancelled"),
    offer_resume=lambda ctx: offer_resume(ctx),
)


def draft_of(ctx: Context) -> Writing:
    """The petition being written, kept in the conversation."""
    return FILING.draft(ctx)


def nav_keys(ctx: Context) -> tuple[str, ...]:
    """Back and Cancel as keyboard keys, under a share key (they come back as their text)."""
    return (ctx.t("nav.back"), ctx.t("nav.cancel"))


async def begin_filing(ctx: Context) -> None:
    """Start a new petition (or offer to resume the unfinished one)."""
    if FILING.has_draft(ctx) and draft_of(ctx).kind:
        await offer_resume(ctx)
        return
    FILING.begin(ctx, Writing())
    await FILING.forward(ctx, "f.kind")


async def offer_resume(ctx: Context) -> None:
    """An unfinished petition exists: continue it or start over."""
    FILING.pause(ctx)
    await ask(router, ctx, "f.resume")


async def prompt_resume(ctx: Context) -> None:
    """Asks whether to continue the unfinished petition."""
    kind = draft_of(ctx).kind
    ctx.reply(
        ctx.t("filing.resume", kind=kind_label(ctx.t, kind) if kind else "…"),
        [ctx.button(ctx.t("filing.resume.continue"), "continue")],
        [ctx.button(ctx.t("filing.resume.restart"), "restart")],
    )


@router.state("f.resume", prompt_resume)
async def answer_resume(ctx: Context) -> None:
    """Continues where the citizen left off, or starts a fresh petition."""
    options = [
        Option("continue", ctx.t("filing.resume.continue")),
        Option("restart", ctx.t("filing.resume.restart")),
    ]
    choice = await picked(ctx, options, prompt_resume)
    if choice == "continue" and not await FILING.resume(ctx):
        ctx.aside(ctx.t("input.press_a_button"))
    elif choice == "restart":
        FILING.begin(ctx, Writing())
        await FILING.forward(ctx, "f.kind")


async def keep_kind(ctx: Context, kind: str) -> None:
    draft_of(ctx).kind = kind
    await FILING.forward(ctx, "f.field")


def kind_question(ctx: Context) -> str:
    """Explains the four kinds in one sentence each and asks which fits."""
    t = ctx.t
    lines = [t("filing.ask_kind")] + [
        f"• {kind_label(t, kind)}: {t(KIND_EXPLANATIONS[kind])}" for kind in KIND_EXPLANATIONS
    ]
    return "\n".join(lines)


async def keep_field(ctx: Context, field_code: str) -> None:
    """Stores the field and asks where it happened (a denunciation first asks about whom)."""
    draft = draft_of(ctx)
    draft.field = field_code
    if draft.kind == PetitionKind.DENUNCIATION:
        await FILING.forward(ctx, "f.accused")
    else:
        await ask_where(ctx)


async def ask_where(ctx: Context) -> None:
    """Ask for the commune when there are several, else go straight to the village."""
    communes = ctx.env.org.communes()
    if len(communes) == 1:
        draft_of(ctx).commune = communes[0].code
        await FILING.forward(ctx, "f.place")
    else:
        await FILING.forward(ctx, "f.commune")


async def keep_accused(ctx: Context, accused: str) -> None:
    """Stores who is denounced, so it never reaches them, and asks where it happened."""
    draft_of(ctx).accused = accused
    await ask_where(ctx)


def commune_options(ctx: Context) -> list[Option]:
    """The communes a petition can be about, in the organisation's order, named as places
    («Xã Phú Đình», not the committee «UBND xã Phú Đình»)."""
    return [Option(unit.code, as_heading(unit.place)) for unit in ctx.env.org.communes()]


async def keep_commune(ctx: Context, commune: str) -> None:
    draft_of(ctx).commune = commune
    await FILING.forward(ctx, "f.place")


prompt_kind = choose(FILING, "f.kind", kind_question, kind_options, keep_kind)
prompt_field = choose(
    FILING, "f.field", N_("filing.ask_field"), field_options, keep_field, per_row=2
)
prompt_accused = choose(
    FILING, "f.accused", N_("filing.ask_accused"), labelled(ACCUSED_LABELS), keep_accused
)


async def prompt_commune(ctx: Context) -> None:
    """Asks which commune the matter is in: a page of them, a name typed, or (where the
    organisation file knows where its places are) the person's location."""
    communes = commune_options(ctx)
    rows = page_rows(ctx, communes, per_row=1)
    if located(ctx.env.org) and may_share_location(ctx):
        rows.append([ctx.button(ctx.t("filing.place.locate"), "locate")])
    types = place_types(ctx.t, [unit.place_type for unit in ctx.env.org.communes()], ANY_COMMUNE)
    question = with_page_hint(ctx, ctx.t("filing.ask_commune", types=types), len(communes))
    ctx.reply(question, *rows, nav_buttons(ctx))


@FILING.step("f.commune", prompt_commune)
async def answer_commune(ctx: Context) -> None:
    """Stores the commune (chosen, typed, or found from a location) and asks for the village."""
    if ctx.choice == "locate":
        ask_for_location(ctx)
    elif ctx.incoming.kind is Kind.LOCATION:
        await place_from_location(ctx)
    elif (commune := await picked(ctx, commune_options(ctx), prompt_commune)) is not None:
        await keep_commune(ctx, commune)


def may_share_location(ctx: Context) -> bool:
    """Whether this chat's messenger can send a location at all (a dead end otherwise)."""
    return ctx.incoming.channel not in NO_LOCATION_CHANNELS


def ask_for_location(ctx: Context) -> None:
    """How to share a location, with the share key and Back/Cancel keys."""
    ctx.reply(
        ctx.t("filing.ask_place.location_hint"),
        ask_location=ctx.t("filing.place.share"),
        keys=nav_keys(ctx),
    )


async def place_from_location(ctx: Context) -> None:
    """The commune, and the village when one is near, of where the person stands; the place
    is shown, and Back lets them choose another."""
    here = shared_point(ctx)
    found = nearby(ctx.env.org, here) if here else None
    if here is None or found is None:
        ctx.aside(ctx.t("filing.place.not_found"))
        return
    draft = draft_of(ctx)
    draft.commune, draft.area, draft.place_note = found.commune, found.village, None
    draft.latitude, draft.longitude = here
    if found.village is None:
        await FILING.forward(ctx, "f.place")
        return
    ctx.reply(ctx.t("filing.place.found", place=place_text(ctx, to_draft(draft))))
    await FILING.forward(ctx, "f.content")


def shared_point(ctx: Context) -> Point | None:
    """The location the person shared, if it is a place on Earth."""
    incoming = ctx.incoming
    if incoming.latitude is None or incoming.longitude is None:
        return None
    if not on_the_map(incoming.latitude, incoming.longitude):
        return None
    return incoming.latitude, incoming.longitude


def village_options(ctx: Context) -> list[Option]:
    """The villages of the petition's commune."""
    commune = draft_of(ctx).commune or ""
    return [Option(area.code, area.name) for area in ctx.env.org.areas_of(commune)]


async def prompt_place(ctx: Context) -> None:
    """Asks for the village, a shared location, or a few words about the place."""
    villages = village_options(ctx)
    rows = page_rows(ctx, villages)
    if may_share_location(ctx):
        rows.append([ctx.button(ctx.t("filing.place.locate"), "locate")])
    rows.append([ctx.button(ctx.t("filing.place.unsure"), "none")])
    commune = draft_of(ctx).commune or ""
    areas = ctx.env.org.areas_of(commune)
    types = place_types(ctx.t, [area.place_type for area in areas], ANY_VILLAGE)
    question = with_page_hint(ctx, ctx.t("filing.ask_place", types=types), len(villages))
    ctx.reply(question, *rows, nav_buttons(ctx))


@FILING.step("f.place", prompt_place)
async def answer_place(ctx: Context) -> None:
    """Stores the place (a village, a location or a few words) and asks what happened."""
    draft = draft_of(ctx)
    incoming = ctx.incoming
    villages = village_options(ctx)
    if ctx.choice == "locate":
        ask_for_location(ctx)
        return
    if incoming.kind is Kind.LOCATION:
        here = shared_point(ctx)
        if here is None:
            ctx.reply(ctx.t("filing.place.bad_location"))
            await prompt_place(ctx)
            return
        found = nearby(ctx.env.org, here)
        near = found.village if found and found.commune == draft.commune else None
        draft.latitude, draft.longitude, draft.area = *here, near
    elif ctx.choice == "none":
        draft.area = draft.place_note = None
    elif typed_text(ctx) and not typed_matches(ctx, villages):
        draft.place_note, draft.area = typed_text(ctx)[:MAX_ADDRESS_CHARS], None
    elif (village := await picked(ctx, villages, prompt_place)) is not None:
        draft.area, draft.place_note = village, None
    else:
        return
    await FILING.forward(ctx, "f.content")


def done_rows(ctx: Context) -> tuple[list[Button], list[Button]]:
    """«Done» and Back/Cancel, under the story and after every piece of it."""
    return [ctx.button(ctx.t("filing.content.done"), "done")], nav_buttons(ctx)


async def prompt_content(ctx: Context) -> None:
    """Asks for the story, with any photos, documents or voice notes, then Done."""
    ctx.reply(ctx.t("filing.ask_content"), *done_rows(ctx), remove_keyboard=True)


@FILING.step("f.content", prompt_content)
async def answer_content(ctx: Context) -> None:
    """Collects text and files until the citizen presses Done."""
    draft = draft_of(ctx)
    incoming = ctx.incoming
    if ctx.choice == "done":
        if not "\n".join(draft.texts).strip() and not draft.files:
            ctx.reply(ctx.t("filing.content.empty"))
            return
        await FILING.forward(ctx, identity_state(draft))
    elif incoming.kind is Kind.TEXT and incoming.text:
        await add_text(ctx, draft, incoming.text)
    elif incoming.kind is Kind.FILE and incoming.file:
        await add_file(ctx, draft, incoming.file, incoming.text)
    elif incoming.kind is Kind.STICKER:
        ctx.aside(ctx.t("input.sticker"))
    else:
        ctx.aside(unsupported_text(ctx))


async def add_text(ctx: Context, draft: Writing, text: str) -> None:
    """Append a message to the content, within the length limit."""
    used = sum(len(part) + 1 for part in draft.texts)
    if used + len(text) > MAX_CONTENT_CHARS:
        ctx.reply(
            ctx.t(
                "filing.content.too_long",
                limit=MAX_CONTENT_CHARS,
                left=max(0, MAX_CONTENT_CHARS - used),
            )
        )
        return
    draft.texts.append(text.strip())
    ctx.reply(ctx.t("filing.content.noted"), *done_rows(ctx))


async def add_file(ctx: Context, draft: Writing, file: FileRef, caption: str | None) -> None:
    """Attach a file after checking its kind and size; its caption joins the story."""
    limit = ctx.env.limits.max_file_bytes
    if file.media not in ACCEPTED_MEDIA or (
        file.media == "document" and not (file.mime or "").startswith(ACCEPTED_DOCUMENT_TYPES)
    ):
        ctx.reply(ctx.t("filing.file.unsupported"))
        return
    if file.size is not None and file.size > limit:
        ctx.reply(ctx.t("filing.file.too_big", limit_mb=limit // (1024 * 1024)))
        return
    if len(draft.files) >= MAX_ATTACHMENTS:
        ctx.reply(ctx.t("filing.file.too_many", limit=MAX_ATTACHMENTS))
        return
    if caption and caption.strip():
        draft.texts.append(caption.strip()[:1024])
    draft.files.append(
        {
            "file_id": file.file_id,
            "media": file.media,
            "size": file.size,
            "mime": file.mime,
            "name": file.name,
        }
    )
    ctx.reply(ctx.t("filing.file.noted", count=len(draft.files)), *done_rows(ctx))


def identity_state(draft: Writing) -> str:
    """The first identity question this kind needs."""
    kind = draft.petition_kind
    if kind is PetitionKind.FEEDBACK:
        return "f.anonymous"
    if kind is PetitionKind.DENUNCIATION:
        return "f.protect"
    return "f.identity"


ANONYMITY_LABELS = {
    "named": N_("filing.anonymous.named"),
    "anonymous": N_("filing.anonymous.anonymous"),
}


async def keep_anonymity(ctx: Context, choice: str) -> None:
    """Goes to review for an anonymous feedback, or asks for the filer's details."""
    draft = draft_of(ctx)
    if choice == "anonymous":
        draft.forget_identity()
        await FILING.forward(ctx, "f.review")
    else:
        draft.anonymous = False
        await FILING.forward(ctx, "f.identity")


prompt_anonymous = choose(
    FILING, "f.anonymous", N_("filing.ask_anonymous"), labelled(ANONYMITY_LABELS), keep_anonymity
)

PROTECTION_LABELS = {
    "named": N_("filing.denunciation.named"),
    "as_feedback": N_("filing.denunciation.as_feedback"),
}


def protection_notice(ctx: Context) -> str:
    """Tells a denouncer their identity is protected, and what anonymity would mean.

    Coming back here (Back from the review of an anonymous feedback) makes the draft a
    denunciation again, so that a name given afterwards is protected as a denouncer's.
    """
    draft = draft_of(ctx)
    draft.kind, draft.anonymous = PetitionKind.DENUNCIATION.value, False
    return ctx.t("filing.denunciation.protected")


async def keep_protection(ctx: Context, choice: str) -> None:
    """Continues as a named denunciation, or turns it into anonymous feedback (LEGAL §4)."""
    draft = draft_of(ctx)
    if choice == "named":
        draft.anonymous = False
        await FILING.forward(ctx, "f.identity")
    else:
        draft.kind = PetitionKind.FEEDBACK.value
        draft.forget_identity()
        ctx.reply(ctx.t("filing.denunciation.now_feedback"))
        await FILING.forward(ctx, "f.review")


prompt_protect = choose(
    FILING, "f.protect", protection_notice, labelled(PROTECTION_LABELS), keep_protection
)


async def saved_identity(ctx: Context) -> CitizenView | None:
    """The citizen's details saved last time, when they are all this kind needs."""
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    if citizen is None or not (citizen.name and citizen.phone):
        return None
    needs = IDENTITY_NEEDS[draft_of(ctx).petition_kind]
    return citizen if citizen.address or not needs.address_required else None


async def prompt_identity(ctx: Context) -> None:
    """Offers the details saved last time, or asks for the name."""
    citizen = await saved_identity(ctx)
    if citizen is None:
        ctx.conv.state = "f.name"
        await prompt_name(ctx)
        return
    ctx.reply(
        ctx.t(
            "filing.identity.saved",
            name=citizen.name,
            phone=mask_phone(citizen.phone),
            address=citizen.address or "—",
        ),
        [ctx.button(ctx.t("filing.identity.use_saved"), "saved")],
        [ctx.button(ctx.t("filing.identity.enter_new"), "new")],
        nav_buttons(ctx),
    )


@FILING.step("f.identity", prompt_identity)
async def answer_identity(ctx: Context) -> None:
    """Uses the saved details or asks for new ones."""
    options = [
        Option("saved", ctx.t("filing.identity.use_saved")),
        Option("new", ctx.t("filing.identity.enter_new")),
    ]
    choice = await picked(ctx, options, prompt_identity)
    citizen = await saved_identity(ctx)
    if choice == "saved" and citizen is not None:
        draft = draft_of(ctx)
        draft.name, draft.phone, draft.address = citizen.name, citizen.phone, citizen.address
        await FILING.forward(ctx, "f.review")
    elif choice is not None:
        await FILING.forward(ctx, "f.name")


async def prompt_name(ctx: Context) -> None:
    """Asks for the filer's full name."""
    ctx.reply(ctx.t("filing.ask_name"), nav_buttons(ctx), remove_keyboard=True)


@FILING.step("f.name", prompt_name)
async def answer_name(ctx: Context) -> None:
    """Stores a plausible full name and asks for the phone number."""
    name = " ".join(typed_text(ctx).split())
    if not within(2, MAX_NAME_CHARS, digits=False)(name):
        ctx.aside(ctx.t("filing.name.invalid", limit=MAX_NAME_CHARS))
        return
    draft_of(ctx).name = name
    await FILING.forward(ctx, "f.phone")


async def prompt_phone(ctx: Context) -> None:
    """Asks for the phone: one press on the share button, or typed."""
    ctx.reply(
        ctx.t("filing.ask_phone"), ask_contact=ctx.t("filing.phone.share"), keys=nav_keys(ctx)
    )


@FILING.step("f.phone", prompt_phone)
async def answer_phone(ctx: Context) -> None:
    """Accepts the citizen's own shared contact or a typed Vietnamese number."""
    incoming = ctx.incoming
    if incoming.kind is Kind.CONTACT:
        if not incoming.contact_is_own:
            ctx.reply(ctx.t("filing.phone.not_own"))
            return
        phone = normalise_phone(incoming.contact_phone or "")
    else:
        phone = normalise_phone(incoming.text or "")
    if phone is None:
        ctx.reply(ctx.t("filing.phone.invalid"))
        return
    draft_of(ctx).phone = phone
    await FILING.forward(ctx, "f.address")


async def prompt_address(ctx: Context) -> None:
    """Asks for the address; optional where the kind does not need it."""
    needs = IDENTITY_NEEDS[draft_of(ctx).petition_kind]
    rows = [] if needs.address_required else [[ctx.button(ctx.t("filing.address.skip"), "skip")]]
    ctx.reply(ctx.t("filing.ask_address"), *rows, nav_buttons(ctx), remove_keyboard=True)


@FILING.step("f.address", prompt_address)
async def answer_address(ctx: Context) -> None:
    """Stores the address, remembers the details for next time, and shows the review."""
    draft = draft_of(ctx)
    needs = IDENTITY_NEEDS[draft.petition_kind]
    address = " ".join(typed_text(ctx).split())
    if ctx.choice == "skip" and not needs.address_required:
        address = ""
    elif not within(3, MAX_ADDRESS_CHARS)(address):
        ctx.aside(ctx.t("filing.address.invalid", limit=MAX_ADDRESS_CHARS))
        return
    draft.address = address or None
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    if citizen is not None:
        await ctx.store.remember_identity(citizen.id, draft.name, draft.phone, draft.address)
    await FILING.forward(ctx, "f.review")


def place_text(ctx: Context, draft: Draft) -> str:
    """Where the matter is, as the citizen told it."""
    org = ctx.env.org
    parts = []
    if draft.area and draft.area in org.areas:
        parts.append(org.areas[draft.area].name)
    if draft.place_note:
        parts.append(draft.place_note)
    if draft.latitude is not None:
        parts.append(ctx.t("filing.place.shared_location"))
    parts.append(org.units[draft.commune].place)
    return ", ".join(parts)


async def prompt_review(ctx: Context) -> None:
    """Shows everything once more before sending."""
    t = ctx.t
    draft = to_draft(draft_of(ctx))
    identity = (
        t("filing.review.anonymous")
        if draft.anonymous
        else t(
            "filing.review.identity",
            name=draft.name,
            phone=draft.phone,
            address=draft.address or "—",
        )
    )
    content = draft.content
    ctx.reply(
        t(
            "filing.review",
            kind=kind_label(t, draft.kind),
            field=t(ctx.env.org.field(draft.field).label),  # type: ignore[union-attr]
            place=place_text(ctx, draft),
            content=content if len(content) <= 1500 else clip(content, 1500),
            files=len(draft.attachments),
            identity=identity,
        ),
        [ctx.button(t("filing.review.send"), "send")],
        nav_buttons(ctx),
    )


@FILING.step("f.review", prompt_review)
async def answer_review(ctx: Context) -> None:
    """Files the petition, sends the receipt and tells the officer."""
    if not await pressed(ctx, "send", N_("filing.review.send"), prompt_review):
        return
    draft = to_draft(draft_of(ctx))
    citizen = await ctx.store.ensure_citizen(
        ctx.incoming.channel, ctx.incoming.chat_id, ctx.incoming.user_id, ctx.now
    )
    env = ctx.env
    filed = await file_petition(
        ctx.store,
        env.org,
        env.rulebook,
        env.calendar,
        draft,
        citizen.id,
        ctx.incoming.channel,
        ctx.now,
    )
    FILING.drop(ctx)
    log.info("petition %s filed on %s, routed to %s", filed.code, ctx.incoming.channel, filed.unit)
    offer, follow_rows = await follow_offer(ctx, draft.commune)
    receipt = receipt_text(ctx, draft, filed)
    await show_menu(ctx, f"{receipt}\n\n{offer}" if offer else receipt, follow_rows)
    await tell_assignee(ctx, filed, draft)


def to_draft(writing: Writing) -> Draft:
    """The petition written so far as the filing service takes it."""
    return Draft(
        kind=writing.kind or "",
        field=writing.field or "",
        commune=writing.commune or "",
        area=writing.area,
        place_note=writing.place_note,
        latitude=writing.latitude,
        longitude=writing.longitude,
        content="\n".join(writing.texts),
        attachments=tuple(FileRef(**item) for item in writing.files),
        name=writing.name,
        phone=writing.phone,
        address=writing.address,
        anonymous=writing.anonymous,
        accused=writing.accused,
    )


def receipt_text(ctx: Context, draft: Draft, filed: Filed) -> str:
    """The receipt: code, kind, day received, who handles it, and the legal dates."""
    t = ctx.t
    rulebook = ctx.env.rulebook
    kind = draft.kind
    lines = [
        t(
            "filing.receipt",
            code=filed.code,
            kind=kind_label(t, kind),
            received=t.date(filed.received_on),
            unit=ctx.env.org.units[filed.unit].name,
        ),
        *deadline_lines(ctx, filed),
    ]
    for rule_id in rulebook.kinds[kind].acceptance(draft.instance):
        rule = rulebook.rules[rule_id]
        longer = rule.variants or rule.allowed_extensions("especially_complex")
        lines.append(
            t(
                "filing.receipt.after_accept",
                what=rule_label(t, rule_id),
                days=rule.n_days,
                unit=t(DAY_UNITS[rule.unit]),
                source=rule.source,
            )
            + (" " + t("filing.receipt.may_be_longer") if longer else "")
        )
    lines.append(t("filing.receipt.keep_code"))
    return "\n".join(lines)


def deadline_lines(ctx: Context, filed: Filed) -> list[str]:
    """The receipt's statutory dates, one line each with its legal source."""
    t = ctx.t
    return [
        t(
            "filing.receipt.deadline",
            what=rule_label(t, deadline.rule_id),
            date=t.date(deadline.due_date),
            source=ctx.env.rulebook.rules[deadline.rule_id].source,
        )
        for deadline in filed.deadlines
    ]


async def tell_assignee(ctx: Context, filed: Filed, draft: Draft) -> None:
    """Send the new petition to the officer it was routed to, without a denouncer's identity.

    Shared by every way a petition arrives: filed in chat, or written down at a reception.
    """
    if filed.assignee is None:
        log.warning("petition %s has no officer to assign in %s", filed.code, filed.unit)
        return
    officer = await ctx.store.officer_by_handle(filed.assignee.handle)
    if officer is None:
        return
    kind = draft.kind
    summary = clip(draft.content, 300)  # the whole story is on the card

    def notice(t: Translator) -> Reply:
        if draft.anonymous:
            filer = t("officer.filer.anonymous")
        elif IDENTITY_NEEDS[PetitionKind(kind)].secret:
            filer = t("officer.filer.protected")
        else:
            # A follow-up of a dialogue session may come from a citizen who never gave a name.
            filer = (
                " · ".join(part for part in (draft.name, mask_phone(draft.phone)) if part) or "—"
            )
        deadlines = "\n".join(
            t("officer.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date))
            for d in filed.deadlines
        )
        text = t(
            "officer.new_petition",
            code=filed.code,
            kind=kind_label(t, kind),
            field=t(ctx.env.org.field(draft.field).label),  # type: ignore[union-attr]
            place=place_text(ctx, draft),
            summary=summary,
            files=len(draft.attachments),
            filer=filer,
            deadlines=deadlines,
        )
        # A denouncer's location may be their home: it is shown with their identity only.
        pin = None if IDENTITY_NEEDS[PetitionKind(kind)].secret else new_petition_pin(t)
        open_row = (Button(t("officer.open"), OpenPetition(filed.petition_id).pack()),)
        return Reply(text, (open_row,), pin=pin)

    def new_petition_pin(t: Translator) -> MapPin | None:
        title = t("officer.pin.title", code=filed.code)
        return MapPin.at(draft.latitude, draft.longitude, title)

    for chat in await ctx.store.officer_chats(officer.id):
        await ctx.notify(chat, notice)
