"""Gửi đơn: the guided filing conversation (DESIGN §2 step 2).

kind → field → commune (when there are several) → place → content → identity → review → receipt.
Every question has Back and Cancel; the draft lives in the conversation, so it survives hours of
silence and restarts.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.conversation import Context, Router, ask
from bot.core import Button, FileRef, Kind, Reply
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
from bot.domain.places import on_the_map
from bot.domain.routing import ACCUSED_LEVELS
from bot.i18n import Translator
from bot.labels import DAY_UNITS, KIND_EXPLANATIONS, kind_label, rule_label
from bot.services.filing import Draft, Filed, file_petition
from handlers.common import show_menu, unsupported_text
from handlers.dialogues import follow_offer
from handlers.picker import Option, page_rows, picked, typed_matches, typed_text, with_page_hint

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


def draft_of(ctx: Context) -> dict[str, Any]:
    """The petition being written, kept in the conversation."""
    draft: dict[str, Any] = ctx.conv.data.setdefault("draft", {"trail": []})
    return draft


async def forward(ctx: Context, state: str) -> None:
    """Ask the next question, remembering this one for Back."""
    draft_of(ctx)["trail"].append(ctx.conv.state)
    await ask(router, ctx, state)


async def back(ctx: Context) -> None:
    """Return to the previous question, or to the menu from the first one."""
    trail = draft_of(ctx)["trail"]
    previous = trail.pop() if trail else ""
    if previous in router.states:
        await ask(router, ctx, previous)
    else:
        ctx.conv.data.pop("draft", None)
        await show_menu(ctx)


async def cancel(ctx: Context) -> None:
    """Discard the draft and say so."""
    ctx.conv.data.pop("draft", None)
    await show_menu(ctx, ctx.t("filing.cancelled"))


def nav_row(ctx: Context) -> list[Button]:
    """Back and Cancel, under every question."""
    return [ctx.button(ctx.t("nav.back"), "back"), ctx.button(ctx.t("nav.cancel"), "cancel")]


def nav_keys(ctx: Context) -> tuple[str, ...]:
    """Back and Cancel as keyboard keys, under a share key (they come back as their text)."""
    return (ctx.t("nav.back"), ctx.t("nav.cancel"))


async def navigated(ctx: Context) -> bool:
    """Handle Back and Cancel, pressed as buttons or as keys; True when one was pressed."""
    typed = (ctx.incoming.text or "").strip() if ctx.incoming.kind is Kind.TEXT else None
    if ctx.choice == "back" or typed == ctx.t("nav.back"):
        await back(ctx)
        return True
    if ctx.choice == "cancel" or typed == ctx.t("nav.cancel"):
        await cancel(ctx)
        return True
    return False


async def begin_filing(ctx: Context) -> None:
    """Start a new petition (or offer to resume the unfinished one)."""
    if ctx.conv.data.get("draft", {}).get("kind"):
        await offer_resume(ctx)
        return
    ctx.conv.data["draft"] = {"trail": []}
    ctx.conv.state = ""
    await forward(ctx, "f.kind")


async def offer_resume(ctx: Context) -> None:
    """An unfinished petition exists: continue it or start over."""
    draft = draft_of(ctx)
    if ctx.conv.state.startswith("f.") and ctx.conv.state != "f.resume":
        draft["resume_from"] = ctx.conv.state
    await ask(router, ctx, "f.resume")


async def prompt_resume(ctx: Context) -> None:
    """Asks whether to continue the unfinished petition."""
    kind = draft_of(ctx).get("kind")
    ctx.reply(
        ctx.t("filing.resume", kind=kind_label(ctx.t, kind) if kind else "…"),
        [ctx.button(ctx.t("filing.resume.continue"), "continue")],
        [ctx.button(ctx.t("filing.resume.restart"), "restart")],
    )


@router.state("f.resume", prompt_resume)
async def answer_resume(ctx: Context) -> None:
    """Continues where the citizen left off, or starts a fresh petition."""
    draft = draft_of(ctx)
    if ctx.choice == "continue" and draft.get("resume_from") in router.states:
        await ask(router, ctx, draft.pop("resume_from"))
    elif ctx.choice == "restart":
        ctx.conv.data["draft"] = {"trail": []}
        ctx.conv.state = ""
        await forward(ctx, "f.kind")
    else:
        ctx.reply(ctx.t("input.press_a_button"))
        await prompt_resume(ctx)


async def prompt_kind(ctx: Context) -> None:
    """Explains the four kinds in one sentence each and asks which fits."""
    t = ctx.t
    lines = [t("filing.ask_kind")] + [
        f"• {kind_label(t, kind)}: {t(KIND_EXPLANATIONS[kind])}" for kind in KIND_EXPLANATIONS
    ]
    rows = [[ctx.button(kind_label(t, kind), kind)] for kind in KIND_EXPLANATIONS]
    ctx.reply("\n".join(lines), *rows, nav_row(ctx))


@router.state("f.kind", prompt_kind)
async def answer_kind(ctx: Context) -> None:
    """Stores the kind and asks for the field."""
    if await navigated(ctx):
        return
    options = [Option(kind, kind_label(ctx.t, kind)) for kind in KIND_EXPLANATIONS]
    if (kind := await picked(ctx, options, prompt_kind)) is not None:
        draft_of(ctx)["kind"] = kind
        await forward(ctx, "f.field")


async def prompt_field(ctx: Context) -> None:
    """Asks what the petition is about, two fields a row."""
    buttons = [ctx.button(ctx.t(item.label), item.code) for item in ctx.env.org.fields]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    ctx.reply(ctx.t("filing.ask_field"), *rows, nav_row(ctx))


@router.state("f.field", prompt_field)
async def answer_field(ctx: Context) -> None:
    """Stores the field and asks where it happened."""
    if await navigated(ctx):
        return
    options = [Option(item.code, ctx.t(item.label)) for item in ctx.env.org.fields]
    if (field_code := await picked(ctx, options, prompt_field)) is None:
        return
    draft = draft_of(ctx)
    draft["field"] = field_code
    if draft["kind"] == PetitionKind.DENUNCIATION:
        await forward(ctx, "f.accused")
    else:
        await ask_where(ctx)


async def ask_where(ctx: Context) -> None:
    """Ask for the commune when there are several, else go straight to the village."""
    communes = ctx.env.org.communes()
    if len(communes) == 1:
        draft_of(ctx)["commune"] = communes[0].code
        await forward(ctx, "f.place")
    else:
        await forward(ctx, "f.commune")


async def prompt_accused(ctx: Context) -> None:
    """Asks whom the denunciation is about, so it never reaches the person denounced."""
    ctx.reply(
        ctx.t("filing.ask_accused"),
        [ctx.button(ctx.t("filing.accused.staff"), "staff")],
        [ctx.button(ctx.t("filing.accused.leader"), "leader")],
        [ctx.button(ctx.t("filing.accused.other"), "other")],
        nav_row(ctx),
    )


@router.state("f.accused", prompt_accused)
async def answer_accused(ctx: Context) -> None:
    """Stores who is denounced and asks where it happened."""
    if await navigated(ctx):
        return
    if ctx.choice not in ACCUSED_LEVELS:
        await not_a_choice(ctx, prompt_accused)
        return
    draft_of(ctx)["accused"] = ctx.choice
    await ask_where(ctx)


def commune_options(ctx: Context) -> list[Option]:
    """The communes a petition can be about, in the organisation's order."""
    return [Option(unit.code, unit.name) for unit in ctx.env.org.communes()]


def village_options(ctx: Context) -> list[Option]:
    """The villages of the petition's commune."""
    return [Option(area.code, area.name) for area in ctx.env.org.areas_of(draft_of(ctx)["commune"])]


async def prompt_commune(ctx: Context) -> None:
    """Asks which commune the matter is in: a page of them, or its name typed."""
    communes = commune_options(ctx)
    question = with_page_hint(ctx, ctx.t("filing.ask_commune"), len(communes))
    ctx.reply(question, *page_rows(ctx, communes, per_row=1), nav_row(ctx))


@router.state("f.commune", prompt_commune)
async def answer_commune(ctx: Context) -> None:
    """Stores the commune and asks for the village."""
    if await navigated(ctx):
        return
    commune = await picked(ctx, commune_options(ctx), prompt_commune)
    if commune is not None:
        draft_of(ctx)["commune"] = commune
        await forward(ctx, "f.place")


async def prompt_place(ctx: Context) -> None:
    """Asks for the village, a shared location, or a few words about the place."""
    villages = village_options(ctx)
    rows = page_rows(ctx, villages)
    rows.append([ctx.button(ctx.t("filing.place.locate"), "locate")])
    rows.append([ctx.button(ctx.t("filing.place.unsure"), "none")])
    question = with_page_hint(ctx, ctx.t("filing.ask_place"), len(villages))
    ctx.reply(question, *rows, nav_row(ctx))


@router.state("f.place", prompt_place)
async def answer_place(ctx: Context) -> None:
    """Stores the place (a village, a location or a few words) and asks what happened."""
    if await navigated(ctx):
        return
    draft = draft_of(ctx)
    incoming = ctx.incoming
    villages = village_options(ctx)
    if ctx.choice == "locate":
        ctx.reply(
            ctx.t("filing.ask_place.location_hint"),
            ask_location=ctx.t("filing.place.share"),
            keys=nav_keys(ctx),
        )
        return
    if incoming.kind is Kind.LOCATION:
        if not on_the_map(incoming.latitude, incoming.longitude):
            ctx.reply(ctx.t("filing.place.bad_location"))
            await prompt_place(ctx)
            return
        draft.update(latitude=incoming.latitude, longitude=incoming.longitude, area=None)
    elif ctx.choice == "none":
        draft.update(area=None, place_note=None)
    elif typed_text(ctx) and not typed_matches(ctx, villages):
        draft.update(place_note=typed_text(ctx)[:MAX_ADDRESS_CHARS], area=None)
    elif (village := await picked(ctx, villages, prompt_place)) is not None:
        draft.update(area=village, place_note=None)
    else:
        return
    await forward(ctx, "f.content")


async def prompt_content(ctx: Context) -> None:
    """Asks for the story, with any photos, documents or voice notes, then Done."""
    ctx.reply(
        ctx.t("filing.ask_content"),
        [ctx.button(ctx.t("filing.content.done"), "done")],
        nav_row(ctx),
        remove_keyboard=True,
    )


@router.state("f.content", prompt_content)
async def answer_content(ctx: Context) -> None:
    """Collects text and files until the citizen presses Done."""
    if await navigated(ctx):
        return
    draft = draft_of(ctx)
    incoming = ctx.incoming
    if ctx.choice == "done":
        if not "\n".join(draft.get("texts", [])).strip() and not draft.get("files"):
            ctx.reply(ctx.t("filing.content.empty"))
            return
        await forward(ctx, identity_state(ctx))
    elif incoming.kind is Kind.TEXT and incoming.text:
        await add_text(ctx, draft, incoming.text)
    elif incoming.kind is Kind.FILE and incoming.file:
        await add_file(ctx, draft, incoming.file, incoming.text)
    elif incoming.kind is Kind.STICKER:
        ctx.aside(ctx.t("input.sticker"))
    else:
        ctx.aside(unsupported_text(ctx))


async def add_text(ctx: Context, draft: dict[str, Any], text: str) -> None:
    """Append a message to the content, within the length limit."""
    texts: list[str] = draft.setdefault("texts", [])
    used = sum(len(part) + 1 for part in texts)
    if used + len(text) > MAX_CONTENT_CHARS:
        ctx.reply(
            ctx.t(
                "filing.content.too_long",
                limit=MAX_CONTENT_CHARS,
                left=max(0, MAX_CONTENT_CHARS - used),
            )
        )
        return
    texts.append(text.strip())
    ctx.reply(
        ctx.t("filing.content.noted"),
        [ctx.button(ctx.t("filing.content.done"), "done")],
        nav_row(ctx),
    )


async def add_file(ctx: Context, draft: dict[str, Any], file: FileRef, caption: str | None) -> None:
    """Attach a file after checking its kind and size; its caption joins the story."""
    files: list[dict[str, Any]] = draft.setdefault("files", [])
    limit = ctx.env.limits.max_file_bytes
    if file.media not in ACCEPTED_MEDIA or (
        file.media == "document" and not (file.mime or "").startswith(ACCEPTED_DOCUMENT_TYPES)
    ):
        ctx.reply(ctx.t("filing.file.unsupported"))
        return
    if file.size is not None and file.size > limit:
        ctx.reply(ctx.t("filing.file.too_big", limit_mb=limit // (1024 * 1024)))
        return
    if len(files) >= MAX_ATTACHMENTS:
        ctx.reply(ctx.t("filing.file.too_many", limit=MAX_ATTACHMENTS))
        return
    if caption and caption.strip():
        draft.setdefault("texts", []).append(caption.strip()[:1024])
    files.append(
        {
            "file_id": file.file_id,
            "media": file.media,
            "size": file.size,
            "mime": file.mime,
            "name": file.name,
        }
    )
    ctx.reply(
        ctx.t("filing.file.noted", count=len(files)),
        [ctx.button(ctx.t("filing.content.done"), "done")],
        nav_row(ctx),
    )


def identity_state(ctx: Context) -> str:
    """The first identity question this kind needs."""
    kind = PetitionKind(draft_of(ctx)["kind"])
    if kind is PetitionKind.FEEDBACK:
        return "f.anonymous"
    if kind is PetitionKind.DENUNCIATION:
        return "f.protect"
    return "f.identity"


async def prompt_anonymous(ctx: Context) -> None:
    """Feedback may be anonymous: ask whether to give a name."""
    ctx.reply(
        ctx.t("filing.ask_anonymous"),
        [ctx.button(ctx.t("filing.anonymous.named"), "named")],
        [ctx.button(ctx.t("filing.anonymous.anonymous"), "anonymous")],
        nav_row(ctx),
    )


@router.state("f.anonymous", prompt_anonymous)
async def answer_anonymous(ctx: Context) -> None:
    """Goes to review for an anonymous feedback, or asks for the filer's details."""
    if await navigated(ctx):
        return
    draft = draft_of(ctx)
    if ctx.choice == "anonymous":
        draft.update(anonymous=True, name=None, phone=None, address=None)
        await forward(ctx, "f.review")
    elif ctx.choice == "named":
        draft["anonymous"] = False
        await forward(ctx, "f.identity")
    else:
        await not_a_choice(ctx, prompt_anonymous)


async def prompt_protect(ctx: Context) -> None:
    """Tells a denouncer their identity is protected, and what anonymity would mean.

    Coming back here (Back from the review of an anonymous feedback) makes the draft a
    denunciation again, so that a name given afterwards is protected as a denouncer's.
    """
    draft_of(ctx).update(kind=PetitionKind.DENUNCIATION.value, anonymous=False)
    ctx.reply(
        ctx.t("filing.denunciation.protected"),
        [ctx.button(ctx.t("filing.denunciation.named"), "named")],
        [ctx.button(ctx.t("filing.denunciation.as_feedback"), "as_feedback")],
        nav_row(ctx),
    )


@router.state("f.protect", prompt_protect)
async def answer_protect(ctx: Context) -> None:
    """Continues as a named denunciation, or turns it into anonymous feedback (LEGAL §4)."""
    if await navigated(ctx):
        return
    draft = draft_of(ctx)
    if ctx.choice == "named":
        draft["anonymous"] = False
        await forward(ctx, "f.identity")
    elif ctx.choice == "as_feedback":
        draft.update(
            kind=PetitionKind.FEEDBACK.value, anonymous=True, name=None, phone=None, address=None
        )
        ctx.reply(ctx.t("filing.denunciation.now_feedback"))
        await forward(ctx, "f.review")
    else:
        await not_a_choice(ctx, prompt_protect)


async def prompt_identity(ctx: Context) -> None:
    """Offers the details saved last time, or asks for the name."""
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    needs = IDENTITY_NEEDS[PetitionKind(draft_of(ctx)["kind"])]
    if (
        citizen
        and citizen.name
        and citizen.phone
        and (citizen.address or not needs.address_required)
    ):
        ctx.reply(
            ctx.t(
                "filing.identity.saved",
                name=citizen.name,
                phone=mask_phone(citizen.phone),
                address=citizen.address or "—",
            ),
            [ctx.button(ctx.t("filing.identity.use_saved"), "saved")],
            [ctx.button(ctx.t("filing.identity.enter_new"), "new")],
            nav_row(ctx),
        )
        return
    ctx.conv.state = "f.name"
    await prompt_name(ctx)


@router.state("f.identity", prompt_identity)
async def answer_identity(ctx: Context) -> None:
    """Uses the saved details or asks for new ones."""
    if await navigated(ctx):
        return
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    if ctx.choice == "saved" and citizen and citizen.name and citizen.phone:
        draft_of(ctx).update(name=citizen.name, phone=citizen.phone, address=citizen.address)
        await forward(ctx, "f.review")
    elif ctx.choice == "new":
        await forward(ctx, "f.name")
    else:
        await not_a_choice(ctx, prompt_identity)


async def prompt_name(ctx: Context) -> None:
    """Asks for the filer's full name."""
    ctx.reply(ctx.t("filing.ask_name"), nav_row(ctx), remove_keyboard=True)


@router.state("f.name", prompt_name)
async def answer_name(ctx: Context) -> None:
    """Stores a plausible full name and asks for the phone number."""
    if await navigated(ctx):
        return
    name = " ".join((ctx.incoming.text or "").split())
    plausible = 2 <= len(name) <= MAX_NAME_CHARS and not any(ch.isdigit() for ch in name)
    if ctx.incoming.kind is not Kind.TEXT or not plausible:
        ctx.reply(ctx.t("filing.name.invalid", limit=MAX_NAME_CHARS))
        return
    draft_of(ctx)["name"] = name
    await forward(ctx, "f.phone")


async def prompt_phone(ctx: Context) -> None:
    """Asks for the phone: one press on the share button, or typed."""
    ctx.reply(
        ctx.t("filing.ask_phone"), ask_contact=ctx.t("filing.phone.share"), keys=nav_keys(ctx)
    )


@router.state("f.phone", prompt_phone)
async def answer_phone(ctx: Context) -> None:
    """Accepts the citizen's own shared contact or a typed Vietnamese number."""
    if await navigated(ctx):
        return
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
    draft_of(ctx)["phone"] = phone
    await forward(ctx, "f.address")


async def prompt_address(ctx: Context) -> None:
    """Asks for the address; optional where the kind does not need it."""
    needs = IDENTITY_NEEDS[PetitionKind(draft_of(ctx)["kind"])]
    rows = [] if needs.address_required else [[ctx.button(ctx.t("filing.address.skip"), "skip")]]
    ctx.reply(ctx.t("filing.ask_address"), *rows, nav_row(ctx), remove_keyboard=True)


@router.state("f.address", prompt_address)
async def answer_address(ctx: Context) -> None:
    """Stores the address and shows the review."""
    if await navigated(ctx):
        return
    needs = IDENTITY_NEEDS[PetitionKind(draft_of(ctx)["kind"])]
    address = " ".join((ctx.incoming.text or "").split())
    if ctx.choice == "skip" and not needs.address_required:
        address = ""
    elif ctx.incoming.kind is not Kind.TEXT or not 3 <= len(address) <= MAX_ADDRESS_CHARS:
        ctx.reply(ctx.t("filing.address.invalid", limit=MAX_ADDRESS_CHARS))
        return
    draft = draft_of(ctx)
    draft["address"] = address or None
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    if citizen is not None:
        await ctx.store.remember_identity(
            citizen.id, draft.get("name"), draft.get("phone"), draft["address"]
        )
    await forward(ctx, "f.review")


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
    parts.append(org.units[draft.commune].name)
    return ", ".join(parts)


async def prompt_review(ctx: Context) -> None:
    """Shows everything once more before sending."""
    t = ctx.t
    draft = draft_of(ctx)
    identity = (
        t("filing.review.anonymous")
        if draft.get("anonymous")
        else t(
            "filing.review.identity",
            name=draft.get("name"),
            phone=draft.get("phone"),
            address=draft.get("address") or "—",
        )
    )
    content = "\n".join(draft.get("texts", []))
    ctx.reply(
        t(
            "filing.review",
            kind=kind_label(t, draft["kind"]),
            field=t(ctx.env.org.field(draft["field"]).label),  # type: ignore[union-attr]
            place=place_text(ctx, to_draft(draft)),
            content=content if len(content) <= 1500 else content[:1500] + "…",
            files=len(draft.get("files", [])),
            identity=identity,
        ),
        [ctx.button(t("filing.review.send"), "send")],
        nav_row(ctx),
    )


@router.state("f.review", prompt_review)
async def answer_review(ctx: Context) -> None:
    """Files the petition, sends the receipt and tells the officer."""
    if await navigated(ctx):
        return
    if ctx.choice != "send":
        await not_a_choice(ctx, prompt_review)
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
    ctx.conv.data.pop("draft", None)
    log.info("petition %s filed on %s, routed to %s", filed.code, ctx.incoming.channel, filed.unit)
    offer, follow_rows = await follow_offer(ctx, draft.commune)
    receipt = receipt_text(ctx, draft, filed)
    await show_menu(ctx, f"{receipt}\n\n{offer}" if offer else receipt, follow_rows)
    await tell_assignee(ctx, filed, draft)


def to_draft(draft: dict[str, Any]) -> Draft:
    """The conversation's draft as the filing service takes it."""
    return Draft(
        kind=draft["kind"],
        field=draft["field"],
        commune=draft["commune"],
        area=draft.get("area"),
        place_note=draft.get("place_note"),
        latitude=draft.get("latitude"),
        longitude=draft.get("longitude"),
        content="\n".join(draft.get("texts", [])),
        attachments=tuple(FileRef(**item) for item in draft.get("files", [])),
        name=draft.get("name"),
        phone=draft.get("phone"),
        address=draft.get("address"),
        anonymous=bool(draft.get("anonymous")),
        accused=draft.get("accused"),
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
    summary = draft.content if len(draft.content) <= 300 else draft.content[:300] + "…"

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
        return Reply(text, ((Button(t("officer.open"), f"op:{filed.petition_id}"),),))

    for chat in await ctx.store.officer_chats(officer.id):
        await ctx.notify(chat, notice)


async def not_a_choice(ctx: Context, prompt: Any) -> None:
    """The answer is not one of the offered choices: say so kindly and ask again."""
    ctx.reply(ctx.t("input.press_a_button"))
    await prompt(ctx)
