"""Biên bản đối thoại: the minutes of a dialogue with a complainant join the file and go to them;
the complaint goes back to work (LKN Art. 30). The workflow's START, offered only then:
verification otherwise starts with the first note."""

from __future__ import annotations

from bot.core import Reply
from bot.domain.petition import PetitionState
from bot.domain.workflow import Action
from bot.i18n import N_, Translator
from bot.ports import PetitionDetail
from bot.services.casework import MinutesRecorded, record_minutes
from handlers.compose import Composer
from handlers.officer.actions import ACTIONS, Finished, OfficerAction, saying
from handlers.officer.kinds import sending_written, written_question

MINUTES = Composer(
    "minutes", N_("officer.minutes.send"), N_("officer.minutes.noted"), scope="pending"
)


def after_a_dialogue(petition: PetitionDetail) -> bool:
    """Minutes are recorded once a dialogue has been held."""
    return petition.summary.state == PetitionState.DIALOGUE


def minutes_for_citizen(t: Translator, finished: Finished[MinutesRecorded]) -> Reply:
    """The complainant receives the minutes and their document."""
    recorded = finished.done
    return Reply(
        t("citizen.minutes", code=finished.code, text=recorded.text), attachment=recorded.document
    )


RECORD_MINUTES = ACTIONS.declare(
    OfficerAction(
        Action.START,
        N_("officer.action.minutes"),
        when=after_a_dialogue,
        questions=(written_question("w.minutes", MINUTES, N_("officer.minutes.ask")),),
        service=sending_written(record_minutes),
        said=saying(N_("officer.minutes.saved")),
        citizen=minutes_for_citizen,
    )
)
