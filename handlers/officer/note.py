"""Ghi nhận kết quả xác minh: a verification note with its evidence, for the file; the first one
starts the verification, and the citizen learns only that it began."""

from __future__ import annotations

from bot.domain.workflow import Action
from bot.i18n import N_
from bot.services.casework import NoteAdded, add_verification_note
from handlers.compose import Composer
from handlers.officer.actions import ACTIONS, Finished, OfficerAction, telling
from handlers.officer.kinds import sending_written, written_question

NOTE = Composer("note", N_("officer.note.send"), N_("officer.note.noted"), scope="pending")


def noted(finished: Finished[NoteAdded]) -> str:
    """For the officer: the note is kept, with how many files."""
    files = len(finished.done.files)
    return finished.ctx.t("officer.note.saved", code=finished.code, files=files)


VERIFICATION_NOTE = ACTIONS.declare(
    OfficerAction(
        Action.NOTE,
        N_("officer.action.note"),
        questions=(written_question("w.note", NOTE, N_("officer.note.ask")),),
        service=sending_written(add_verification_note),
        said=noted,
        citizen=telling(N_("citizen.verifying")),
    )
)
