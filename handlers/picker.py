"""A choice among any number of options: pages within the messengers' limits, and typed names.

TP Hồ Chí Minh has 168 wards and communes and a merged commune 20 to 60 villages: one button
each would pass Telegram's 100 buttons, and nobody scrolls to the 90th. So a list shows
`PAGE_SIZE` options a page with ◀ ▶, and a person may type a name instead, with or without
diacritics, «xã» or «UBND» (`bot.domain.words`): one match is the answer, a few are offered as
a short list, none is said so. On Zalo the numbers of a page are typed as any other choice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.conversation import Context
from bot.core import Button, Kind
from bot.domain.words import matching

PAGE_SIZE = 20  # options a page, two a row: with ◀ ▶, Back and Cancel far below 100 buttons
PAGE = "page."

Prompt = Callable[[Context], Awaitable[None]]


@dataclass(frozen=True)
class Option:
    """One thing to choose: the token its button carries, and what it is called."""

    token: str
    label: str


def page_rows(ctx: Context, options: Sequence[Option], per_row: int = 2) -> list[list[Button]]:
    """The current page's options, `per_row` a row, and ◀ ▶ when there is more than a page."""
    page, pages = _page(ctx, len(options))
    shown = options[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    buttons = [ctx.button(option.label, option.token) for option in shown]
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    turns = page_turns(ctx, page, pages, lambda label, n: ctx.button(label, f"{PAGE}{n}"))
    return [*rows, turns] if turns else rows


def page_turns(
    ctx: Context, page: int, pages: int, button: Callable[[str, int], Button]
) -> list[Button]:
    """◀ and ▶ where there is a page before or after; `button` makes one for a page number."""
    turns = []
    if page > 0:
        turns.append(button(ctx.t("picker.previous"), page - 1))
    if page < pages - 1:
        turns.append(button(ctx.t("picker.next"), page + 1))
    return turns


def with_page_hint(ctx: Context, question: str, count: int) -> str:
    """The question, and under a long list «Trang 2/9 …» (with how to type a name)."""
    page, pages = _page(ctx, count)
    if pages == 1:
        return question
    hint = ctx.t("picker.page", page=page + 1, pages=pages)
    return f"{question}\n\n{hint}"


async def picked(ctx: Context, options: Sequence[Option], prompt: Prompt) -> str | None:
    """The token of the option chosen, by its button or by typed words naming it alone; None
    when the answer was a page turn, or named several options or none (answered here, in one
    line that leaves the list where it is)."""
    tokens = {option.token for option in options}
    if ctx.choice in tokens:
        return ctx.choice
    if ctx.choice and ctx.choice.startswith(PAGE) and ctx.choice[len(PAGE) :].isdigit():
        ctx.conv.data["page"] = {"state": ctx.conv.state, "n": int(ctx.choice[len(PAGE) :])}
        await prompt(ctx)
        return None
    typed = typed_text(ctx)
    if not typed:
        ctx.aside(ctx.t("input.press_a_button"))
        return None
    found = typed_matches(ctx, options)
    if len(found) == 1:
        return found[0]
    if 1 < len(found) <= PAGE_SIZE:
        named = [option for option in options if option.token in found]
        rows = [[ctx.button(option.label, option.token)] for option in named]
        ctx.reply(ctx.t("picker.several", count=len(named)), *rows)
        return None
    shown = typed[:60]  # one short line: the list is still there, above
    ctx.aside(ctx.t("picker.too_many", typed=shown) if found else ctx.t("picker.none", typed=shown))
    return None


def typed_text(ctx: Context) -> str:
    """What the person typed, or "" when they pressed, sent a file or a place."""
    return (ctx.incoming.text or "").strip() if ctx.incoming.kind is Kind.TEXT else ""


def typed_matches(ctx: Context, options: Sequence[Option]) -> list[str]:
    """The tokens of the options the typed words name (see `bot.domain.words.matching`)."""
    return matching([(option.token, option.label) for option in options], typed_text(ctx))


def _page(ctx: Context, count: int) -> tuple[int, int]:
    """The page shown at this question (the first, unless the person turned it), and how many."""
    pages = max(1, -(-count // PAGE_SIZE))
    saved = ctx.conv.data.get("page") or {}
    page = saved.get("n", 0) if saved.get("state") == ctx.conv.state else 0
    return min(max(page, 0), pages - 1), pages
