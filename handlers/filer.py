"""A sub-flow: the petition an officer writes down for a visitor, and who files it.

Recording a visit at the office (`reception`) and the result of a booked visit
(`reception_days`) both end, when the visitor leaves a petition, with the same questions: which
kind, whom a denunciation is about (so it never reaches them), the filer's name when it is not
known yet, and an address where the kind needs one. A flow includes them with `filer_graph` in its
graph and `FilerSteps.register` once; its draft carries the `Filer` fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.conversation import Context
from bot.domain.petition import IDENTITY_NEEDS, MAX_ADDRESS_CHARS, MAX_NAME_CHARS, PetitionKind
from bot.flow import Flow
from bot.i18n import N_
from bot.labels import KIND_EXPLANATIONS, kind_label
from handlers.picker import Option
from handlers.steps import choose, labelled, within, write

ACCUSED_LABELS = {
    "staff": N_("filing.accused.staff"),
    "leader": N_("filing.accused.leader"),
    "other": N_("filing.accused.other"),
}


class Filer(Protocol):
    """The fields of a draft this sub-flow fills."""

    petition_kind: str | None
    accused: str | None
    name: str | None
    address: str | None


@dataclass(frozen=True)
class FilerSteps:
    """The sub-flow's step names in one flow, and the step it goes on to when done."""

    kind: str
    accused: str
    name: str
    address: str
    then: str

    def graph(self) -> dict[str, tuple[str, ...]]:
        """The sub-flow's edges, to include in the flow's graph."""
        return {
            self.kind: (self.accused, self.name, self.address, self.then),
            self.accused: (self.name, self.address, self.then),
            self.name: (self.address, self.then),
            self.address: (self.then,),
        }

    def register(self, flow: Flow[Any]) -> None:
        """Declare the four questions on `flow`, whose draft has the `Filer` fields."""

        async def keep_kind(ctx: Context, kind: str) -> None:
            flow.draft(ctx).petition_kind = kind
            if kind == PetitionKind.DENUNCIATION:
                await flow.forward(ctx, self.accused)
            else:
                await self.ask_what_is_missing(flow, ctx)

        async def keep_accused(ctx: Context, accused: str) -> None:
            flow.draft(ctx).accused = accused
            await self.ask_what_is_missing(flow, ctx)

        async def keep_name(ctx: Context, name: str) -> None:
            flow.draft(ctx).name = name
            await self.ask_what_is_missing(flow, ctx)

        async def keep_address(ctx: Context, address: str) -> None:
            flow.draft(ctx).address = address
            await flow.forward(ctx, self.then)

        choose(flow, self.kind, N_("reception.ask_petition_kind"), kind_options, keep_kind)
        choose(flow, self.accused, N_("filing.ask_accused"), labelled(ACCUSED_LABELS), keep_accused)
        write(
            flow,
            self.name,
            N_("reception.ask_filer"),
            keep_name,
            check=within(2, MAX_NAME_CHARS, digits=False),
            invalid=lambda ctx: ctx.t("reception.name.invalid", limit=MAX_NAME_CHARS),
        )
        write(
            flow,
            self.address,
            N_("reception.ask_address"),
            keep_address,
            check=within(3, MAX_ADDRESS_CHARS),
            invalid=lambda ctx: ctx.t("reception.address.invalid", limit=MAX_ADDRESS_CHARS),
        )

    async def ask_what_is_missing(self, flow: Flow[Any], ctx: Context) -> None:
        """A petition carries its filer's name, and an address where the kind needs one."""
        draft: Filer = flow.draft(ctx)
        needs = IDENTITY_NEEDS[PetitionKind(draft.petition_kind or "")]
        if not draft.name:
            await flow.forward(ctx, self.name)
        elif needs.address_required and not draft.address:
            await flow.forward(ctx, self.address)
        else:
            await flow.forward(ctx, self.then)


def kind_options(ctx: Context) -> list[Option]:
    """The four kinds of petition, by their names."""
    return [Option(kind, kind_label(ctx.t, kind)) for kind in KIND_EXPLANATIONS]


def field_options(ctx: Context) -> list[Option]:
    """What a petition may be about, in the organisation's order."""
    return [Option(item.code, ctx.t(item.label)) for item in ctx.env.org.fields]
