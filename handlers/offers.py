"""What a citizen may still do: the offers notices made, kept open.

An officer's question offers «✍️ Trả lời»; an answer offers the stars, «⚖️ Khiếu nại lần hai»
(a first decision on a complaint, until its window closes) and «Chưa được giải quyết» (a
kiến nghị or phản ánh). An offer is not a button that scrolls away: it is read from the
petition's state and history, so it stays open until it is used or expires. It is shown again
under the petition in «Đơn của tôi», and its words typed at any later moment («4 sao», «khiếu
nại lần hai») take it, when one petition has it open.

A dialogue session's announcement offers «Đăng ký» in the same way: it is read from the
sessions announced to the places the citizen follows, still open for registration, where they
hold no seat. Typed later («đăng ký», «dang ky»), it registers them at the one such session, or
lists the sessions to choose from when there are several.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.buttons import AnswerQuestion, Appeal, Rate, Reopen, SessionAction
from bot.conversation import Context
from bot.core import Button, Kind
from bot.domain.petition import PetitionKind, PetitionState
from bot.domain.words import fold, stars_typed
from bot.i18n import LOCAL_TZ, N_, Translator
from bot.ports import PetitionDetail
from bot.services.answers import second_complaint_window
from bot.services.dialogues import open_for_registration
from handlers.callbacks import press
from handlers.steps import says

ANSWERED = frozenset({PetitionState.ANSWERED, PetitionState.CLOSED})
REOPENABLE = frozenset({PetitionKind.PETITION, PetitionKind.FEEDBACK})
MAX_LOOKED_AT = 20  # a citizen's latest petitions whose offers typed words may take
PETITION_OFFERS = (
    N_("citizen.question.answer"),
    N_("citizen.appeal.button"),
    N_("citizen.reopen.button"),
)
# «✅ Đăng ký tham dự» under an announcement, and its first words alone («đăng ký»).
REGISTER_WORDS = (N_("dialogue.register"), N_("dialogue.register.words"))


@dataclass(frozen=True)
class Offers:
    """The offers open on one petition."""

    petition_id: int
    answer: bool = False  # an officer waits for the citizen's answer
    rate: bool = False  # answered and not rated yet
    appeal_until: date | None = None  # a second complaint may be filed until this day
    reopen: bool = False  # a kiến nghị or phản ánh answered: «not resolved» reopens it

    def rows(self, t: Translator) -> list[tuple[Button, ...]]:
        """The offers as the buttons of a notice, in the order the answer's notice shows them."""
        pid = self.petition_id
        rows: list[tuple[Button, ...]] = []
        if self.answer:
            rows.append((Button(t("citizen.question.answer"), AnswerQuestion(pid).pack()),))
        if self.rate:
            stars = tuple(Button("⭐" * score, Rate(pid, score).pack()) for score in range(1, 6))
            rows += [stars[:3], stars[3:]]
        if self.appeal_until is not None:
            rows.append((Button(t("citizen.appeal.button"), Appeal(pid).pack()),))
        if self.reopen:
            rows.append((Button(t("citizen.reopen.button"), Reopen(pid).pack()),))
        return rows


async def offers_on(ctx: Context, petition: PetitionDetail) -> Offers:
    """What is open on this petition now."""
    summary = petition.summary
    state = PetitionState(summary.state)
    if state is PetitionState.WAITING_CITIZEN:
        return Offers(summary.id, answer=True)
    if state not in ANSWERED:
        return Offers(summary.id)
    rated = await ctx.store.last_event(summary.id, {"rated"}) is not None
    until = await second_complaint_window(ctx.store, petition)
    today = ctx.now.astimezone(LOCAL_TZ).date()
    still_open = until if until is not None and today <= until else None
    return Offers(
        summary.id,
        rate=not rated,
        appeal_until=still_open,
        reopen=PetitionKind(summary.kind) in REOPENABLE,
    )


async def open_offers(ctx: Context) -> list[Offers]:
    """The offers open on this chat's citizen's latest petitions, newest first."""
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    if citizen is None:
        return []
    found = []
    for summary in await ctx.store.petitions_of_citizen(citizen.id, MAX_LOOKED_AT):
        petition = await ctx.store.petition(summary.id)
        if petition is not None:
            found.append(await offers_on(ctx, petition))
    return found


def typed_offer(ctx: Context, offers: Sequence[Offers]) -> str | None:
    """The button data of the one offer the typed words take («4 sao»; an offer's whole label,
    with or without marks); None when they take none, or the same offer on several petitions."""
    text = ctx.incoming.text or "" if ctx.incoming.kind is Kind.TEXT else ""
    stars = stars_typed(text)
    buttons = [button for offer in offers for row in offer.rows(ctx.t) for button in row]
    if stars is not None:
        taken = [b.data for b in buttons if b.data.startswith(f"{Rate.prefix}:")]
        taken = [data for data in taken if data.endswith(f".{stars}")]
    else:
        wanted = fold(text)
        taken = [b.data for b in buttons if wanted and fold(b.text) == wanted]
    return taken[0] if len(taken) == 1 else None


def might_be_an_offer(ctx: Context) -> bool:
    """Whether the typed words are stars or a petition offer's label at all (before reading the
    store)."""
    text = ctx.incoming.text or "" if ctx.incoming.kind is Kind.TEXT else ""
    return stars_typed(text) is not None or any(says(ctx, label) for label in PETITION_OFFERS)


async def took_offer(ctx: Context) -> bool:
    """An offer's words typed outside any question: do what its button does, on the one
    petition it is open on, or at the one session open for registration (several: a list to
    choose from). False, and nothing said, when the words take no offer."""
    if might_be_an_offer(ctx):
        data = typed_offer(ctx, await open_offers(ctx))
        if data is not None:
            await press(ctx, data)
            return True
    if any(says(ctx, words) for words in REGISTER_WORDS):
        return await took_registration(ctx)
    return False


async def took_registration(ctx: Context) -> bool:
    """«Đăng ký» typed: register at the one session announced to this citizen that is open for
    registration and where they hold no seat, or list them when there are several."""
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    if citizen is None:
        return False
    sessions = await open_for_registration(ctx.store, ctx.env, citizen.id, ctx.now)
    if len(sessions) == 1:
        await press(ctx, SessionAction(sessions[0].id, "reg").pack())
    elif sessions:
        from handlers.dialogues import session_label

        rows = [
            [Button(session_label(ctx, s), SessionAction(s.id, "reg").pack())] for s in sessions
        ]
        ctx.reply(ctx.t("dialogue.register.which", count=len(sessions)), *rows)
    return bool(sessions)
