"""Start, privacy notice, menu, help, language, cancel, and polite answers to the unexpected."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from bot.buttons import Consent, Language, Meet, Menu
from bot.conversation import Context, Router, ask_again
from bot.core import Button, Kind
from bot.domain.org import Organisation
from bot.domain.words import matching, says_yes
from bot.flow import FLOWS, flow_at, pause_flows
from bot.i18n import Translator
from bot.ports import InviteRefused
from handlers.callbacks import on, press

log = logging.getLogger(__name__)

router = Router()


def invite_hash(code: str) -> str:
    """Invites are stored hashed: a leaked database does not leak working codes."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


def menu_buttons(ctx: Context) -> list[list[Button]]:
    """The citizen's main menu: global buttons that work from any message."""
    t = ctx.t
    return [
        [Button(t("menu.file"), Menu("file").pack())],
        [Button(t("menu.mine"), Menu("mine").pack())],
        [Button(t("menu.meet"), Meet("home").pack())],
        [Button(t("menu.consult"), Menu("consult").pack())],
        [
            Button(t("menu.help"), Menu("help").pack()),
            Button(t("menu.language"), Menu("lang").pack()),
        ],
    ]


async def show_menu(
    ctx: Context, intro: str | None = None, first_rows: Sequence[Sequence[Button]] = ()
) -> None:
    """Leave any question and show the main menu (the officer's menu for an officer's chat).

    An unfinished petition is kept, with the question it was at, for "Gửi đơn" to resume.
    """
    pause_flows(ctx)
    ctx.conv.state = ""
    ctx.conv.step += 1
    officer = await ctx.store.officer_by_chat(ctx.incoming.channel, ctx.incoming.chat_id)
    if officer is not None:
        from handlers.officer import officer_menu

        await officer_menu(ctx, officer, intro, first_rows)
        return
    ctx.reply(intro or ctx.t("menu.title"), *first_rows, *menu_buttons(ctx), remove_keyboard=True)


async def show_privacy_notice(ctx: Context) -> None:
    """Tell the person what we collect, why and for how long, before the first question."""
    ctx.reply(
        ctx.t("privacy.notice", days=ctx.env.drafts_days),
        [Button(ctx.t("privacy.agree"), Consent().pack())],
        # both languages: it is the first screen
        [Button(ctx.t("privacy.language"), Menu("lang").pack())],
    )


async def require_consent(ctx: Context) -> bool:
    """True when the citizen has read the privacy notice; otherwise show it."""
    if await ctx.store.officer_by_chat(ctx.incoming.channel, ctx.incoming.chat_id):
        return True
    citizen = await ctx.store.ensure_citizen(
        ctx.incoming.channel, ctx.incoming.chat_id, ctx.incoming.user_id, ctx.now
    )
    if citizen.consent_at is None:
        if ctx.incoming.kind is Kind.TEXT and says_yes(ctx.incoming.text or ""):
            await agree_to_privacy(ctx)  # «đồng ý», «có»: as the button says
        else:
            await show_privacy_notice(ctx)
        return False
    return True


@router.command("start")
async def start(ctx: Context) -> None:
    """Greets, binds an officer's invite code, or offers to resume an unfinished petition."""
    code = ctx.incoming.args.strip()
    if code:
        await redeem_invite(ctx, code)
        return
    if not await require_consent(ctx):
        return
    flow = flow_at(ctx.conv.state)
    if flow is not None and flow.has_draft(ctx) and await flow.offer(ctx):
        return
    await show_menu(ctx, ctx.t("menu.welcome"))


async def redeem_invite(ctx: Context, code: str) -> None:
    """Bind this chat to the officer the invite was made for."""
    try:
        officer = await ctx.store.redeem_invite(
            invite_hash(code), ctx.incoming.channel, ctx.incoming.chat_id, ctx.now
        )
    except InviteRefused as refused:
        log.info("invite refused for %s: %s", ctx.actor, refused.reason)
        ctx.reply(ctx.t(refused.reason))
        return
    await ctx.store.audit(ctx.actor, "officer.bound", officer.handle, {}, ctx.now)
    await show_menu(
        ctx,
        ctx.t(
            "invite.bound",
            name=officer.name,
            title=officer.title,
            unit=ctx.env.org.units[officer.unit].name,
        ),
    )


@on(router, Consent)
async def privacy_button(ctx: Context, data: Consent) -> None:
    """«Tôi đồng ý» under the privacy notice."""
    await agree_to_privacy(ctx)


async def agree_to_privacy(ctx: Context) -> None:
    """Records that the citizen read the notice, then shows the menu."""
    citizen = await ctx.store.ensure_citizen(
        ctx.incoming.channel, ctx.incoming.chat_id, ctx.incoming.user_id, ctx.now
    )
    if citizen.consent_at is None:
        await ctx.store.record_consent(citizen.id, ctx.now)
    await show_menu(ctx, ctx.t("menu.welcome"))


@router.command("help")
async def help_command(ctx: Context) -> None:
    """Explains what the bot does and how to use it, then repeats any pending question."""
    ctx.reply(await help_text(ctx))
    await continue_where_we_were(ctx)


HELP_CONTACTS = 3  # a new citizen reads every commune's reception when there are this few
HELP_PETITIONS = 10  # the latest petitions whose communes' receptions «Hướng dẫn» gives


async def help_text(ctx: Context) -> str:
    """How the bot works, and where the communes this person deals with receive citizens: those
    of their petitions and the places they follow (every commune, in a small organisation)."""
    org = ctx.env.org
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    units: list[str] = []
    if citizen is not None:
        by_prefix = {org.prefix_of(commune.code): commune.code for commune in org.communes()}
        petitions = await ctx.store.petitions_of_citizen(citizen.id, HELP_PETITIONS)
        units += [by_prefix.get(p.code.rsplit("-", 2)[0], "") for p in petitions]  # PD-2026-…
        followed = await ctx.store.subscriptions(citizen.id)
        units += [place for place in followed if place in org.units]
    if not units and len(org.communes()) <= HELP_CONTACTS:
        units = [commune.code for commune in org.communes()]
    lines = dict.fromkeys(filter(None, (reception_line(ctx.t, org, unit) for unit in units)))
    return "\n\n".join([ctx.t("help.text"), *lines])


def reception_line(t: Translator, org: Organisation, unit_code: str) -> str | None:
    """Where and when the unit (or the unit above it that receives citizens) can be reached, in
    one line; None when the organisation file does not say."""
    unit = org.reception_of(unit_code)
    if unit is None:
        return None
    phone = t("contact.phone", phone=unit.phone) if unit.phone else ""
    details = " · ".join(part for part in (unit.address, phone, unit.hours) if part)
    return t("contact.reception", unit=unit.name, details=details)


@router.command("menu")
async def menu_command(ctx: Context) -> None:
    """Shows the main menu; an unfinished petition is kept for later."""
    if await require_consent(ctx):
        await show_menu(ctx)


@router.command("cancel")
async def cancel_command(ctx: Context) -> None:
    """Drops what is being written (the flow the chat is in, or an unfinished petition)."""
    flow = flow_at(ctx.conv.state) or FLOWS.get("draft")
    if flow is not None and flow.has_draft(ctx):
        await flow.cancel(ctx)
    else:
        await show_menu(ctx)


@router.command("lang")
async def language_command(ctx: Context) -> None:
    """Offers the languages."""
    await choose_language(ctx)


async def choose_language(ctx: Context) -> None:
    """Shows one button per language, each labelled in its own language."""
    ctx.reply(
        ctx.t("language.choose"),
        [Button("Tiếng Việt", Language("vi").pack()), Button("English", Language("en").pack())],
    )


@on(router, Language)
async def set_language(ctx: Context, data: Language) -> None:
    """Switches the chat's language and carries on where it was."""
    ctx.conv.locale = data.locale
    ctx.reply(ctx.t("language.set"))
    if ctx.conv.state:
        await ask_again_root(ctx)
        return
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    officer = await ctx.store.officer_by_chat(ctx.incoming.channel, ctx.incoming.chat_id)
    if officer is None and (citizen is None or citizen.consent_at is None):
        await show_privacy_notice(ctx)
    else:
        await show_menu(ctx)


@on(router, Menu)
async def menu_button(ctx: Context, data: Menu) -> None:
    """The main menu's buttons work from any earlier menu message."""
    if data.screen == "lang":
        await choose_language(ctx)
        return
    if not await require_consent(ctx):
        return
    if data.screen == "help":
        ctx.reply(await help_text(ctx))
        await show_menu(ctx)
    elif data.screen == "file":
        from handlers.filing import begin_filing

        await begin_filing(ctx)
    elif data.screen == "mine":
        from handlers.mine import show_my_petitions

        await show_my_petitions(ctx)
    elif data.screen == "consult":
        from handlers.consultations import show_open

        await show_open(ctx)
    else:  # «home»
        await show_menu(ctx)


async def ask_again_root(ctx: Context) -> None:
    """Repeat the pending question, whichever feature owns it."""
    from handlers import ROOT

    await ask_again(ROOT, ctx)


async def idle(ctx: Context) -> None:
    """A message with no question pending: explain briefly and show the menu."""
    if not await require_consent(ctx):
        return
    from handlers.answers import typed_answer
    from handlers.offers import took_offer

    kind = ctx.incoming.kind
    if await took_offer(ctx) or await typed_answer(ctx):
        return
    if kind is Kind.TEXT and await typed_menu_entry(ctx):
        return
    if kind is Kind.FILE:
        ctx.reply(ctx.t("input.file_outside_filing"))
    elif kind is Kind.STICKER:
        ctx.reply(ctx.t("input.sticker"))
    elif kind is Kind.UNSUPPORTED:
        ctx.reply(unsupported_text(ctx))
    await show_menu(ctx)


async def typed_menu_entry(ctx: Context) -> bool:
    """A menu entry typed in words («gửi đơn», «don cua toi»): do what its button does."""
    entries = [(button.data, button.text) for row in menu_buttons(ctx) for button in row]
    found = matching(entries, ctx.incoming.text or "")
    if len(found) != 1:
        return False
    await press(ctx, found[0])
    return True


def unsupported_text(ctx: Context) -> str:
    """What to say about a message we cannot read.

    On Zalo such a message is one whose content Zalo withholds (users it protects), so retrying
    will not help: say how to reach a person instead.
    """
    if ctx.incoming.channel == "zalo" and ctx.incoming.kind is Kind.UNSUPPORTED:
        return ctx.t("input.unsupported.zalo")
    return ctx.t("input.unsupported")


async def continue_where_we_were(ctx: Context) -> None:
    """After an aside (help, a refusal), repeat the pending question, or show the menu."""
    if ctx.conv.state:
        await ask_again_root(ctx)
    else:
        await show_menu(ctx)


async def unknown_command(ctx: Context) -> None:
    """A command we do not have: say so and carry on."""
    ctx.reply(ctx.t("input.unknown_command"))
    await continue_where_we_were(ctx)


async def stale_button(ctx: Context) -> None:
    """A button of an earlier question: nothing happens except a pointer to the current one."""
    ctx.reply(ctx.t("input.stale_button"))
    await continue_where_we_were(ctx)


async def forged_button(ctx: Context) -> None:
    """Button data we never made: refuse politely; the router has logged it."""
    ctx.reply(ctx.t("input.unknown_button"))
    await continue_where_we_were(ctx)
