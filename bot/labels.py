"""Message ids for values chosen at run time (kinds, states, fields, rules, day units).

Listing them with `N_` lets the extractor and the catalogue test see every one.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import N_, Translator

KIND_LABELS = {
    "khieu_nai": N_("kind.khieu_nai"),
    "to_cao": N_("kind.to_cao"),
    "kien_nghi": N_("kind.kien_nghi"),
    "phan_anh": N_("kind.phan_anh"),
}

KIND_EXPLANATIONS = {
    "khieu_nai": N_("kind.khieu_nai.explain"),
    "to_cao": N_("kind.to_cao.explain"),
    "kien_nghi": N_("kind.kien_nghi.explain"),
    "phan_anh": N_("kind.phan_anh.explain"),
}

STATE_LABELS = {
    "received": N_("state.received"),
    "accepted": N_("state.accepted"),
    "refused": N_("state.refused"),
    "forwarded": N_("state.forwarded"),
    "guided": N_("state.guided"),
    "in_progress": N_("state.in_progress"),
    "waiting_citizen": N_("state.waiting_citizen"),
    "extended": N_("state.extended"),
    "dialogue": N_("state.dialogue"),
    "answered": N_("state.answered"),
    "closed": N_("state.closed"),
    "appealed": N_("state.appealed"),
}

FIELD_LABELS = (
    N_("field.dat_dai"),
    N_("field.moi_truong"),
    N_("field.xay_dung"),
    N_("field.giao_thong"),
    N_("field.chinh_sach_xa_hoi"),
    N_("field.y_te"),
    N_("field.giao_duc"),
    N_("field.an_ninh_trat_tu"),
    N_("field.thu_tuc_hanh_chinh"),
    N_("field.can_bo"),
    N_("field.khac"),
)

RULE_LABELS = {
    "kn.file_limit": N_("rule.kn.file_limit"),
    "kn1.accept": N_("rule.kn1.accept"),
    "kn1.resolve": N_("rule.kn1.resolve"),
    "kn2.file_window": N_("rule.kn2.file_window"),
    "kn2.accept": N_("rule.kn2.accept"),
    "kn2.resolve": N_("rule.kn2.resolve"),
    "kn.effective": N_("rule.kn.effective"),
    "tc.initial": N_("rule.tc.initial"),
    "tc.notify": N_("rule.tc.notify"),
    "tc.resolve": N_("rule.tc.resolve"),
    "don.process": N_("rule.don.process"),
    "pakn.answer": N_("rule.pakn.answer"),
}


EVENT_LABELS = {
    "received": N_("event.received"),
    "accept": N_("event.accept"),
    "refuse": N_("event.refuse"),
    "reroute": N_("event.reroute"),
    "forward": N_("event.forward"),
    "guide": N_("event.guide"),
    "ask_citizen": N_("event.ask_citizen"),
    "citizen_answered": N_("event.citizen_answered"),
    "answer": N_("event.answer"),
    "rated": N_("event.rated"),
    "extend": N_("event.extend"),
    "extension_requested": N_("event.extension_requested"),
    "extension_declined": N_("event.extension_declined"),
    "classify": N_("event.classify"),
    "reassign": N_("event.reassign"),
    "note": N_("event.note"),
    "hold_dialogue": N_("event.hold_dialogue"),
    "dialogue_minutes": N_("event.dialogue_minutes"),
    "close": N_("event.close"),
    "appeal": N_("event.appeal"),
    "reopen": N_("event.reopen"),
    "answer_proposed": N_("event.answer_proposed"),
    "answer_returned": N_("event.answer_returned"),
    "answer_approved": N_("event.answer_approved"),
    "other": N_("event.other"),
}


OUTCOME_LABELS = {
    "correct": N_("outcome.correct"),
    "partly": N_("outcome.partly"),
    "incorrect": N_("outcome.incorrect"),
    "upheld": N_("outcome.upheld"),
    "annulled": N_("outcome.annulled"),
}


# The steps the citizen took, as an officer reads them (the citizen reads «Ông/bà đã …»).
OFFICER_EVENT_LABELS = {
    "citizen_answered": N_("event.officer.citizen_answered"),
    "rated": N_("event.officer.rated"),
}


def event_label(t: Translator, action: str, *, for_officer: bool = False) -> str:
    """A step of a petition's history in the reader's language and wording."""
    if for_officer and action in OFFICER_EVENT_LABELS:
        return t(OFFICER_EVENT_LABELS[action])
    return t(EVENT_LABELS.get(action, EVENT_LABELS["other"]))


def kind_label(t: Translator, kind: str) -> str:
    """The kind's name in the reader's language."""
    return t(KIND_LABELS.get(kind, kind))


def state_label(t: Translator, state: str) -> str:
    """The state's name in the reader's language."""
    return t(STATE_LABELS.get(state, state))


def rule_label(t: Translator, rule_id: str) -> str:
    """What a deadline is for, in the reader's language."""
    return t(RULE_LABELS.get(rule_id, rule_id))


DAY_UNITS = {"days": N_("unit.days"), "working_days": N_("unit.working_days")}

INVITE_REFUSALS = (N_("invite.unknown"), N_("invite.used"), N_("invite.expired"))


# A place's type in the reader's language, by the words of `bot.domain.org` (COMMUNE_TYPES,
# VILLAGE_TYPES): «xã» / "commune", «tổ dân phố» / "residential group".
PLACE_TYPE_LABELS = {
    "xã": N_("place.type.xa"),
    "phường": N_("place.type.phuong"),
    "đặc khu": N_("place.type.dac_khu"),
    "thị trấn": N_("place.type.thi_tran"),
    "tổ dân phố": N_("place.type.to_dan_pho"),
    "khu dân cư": N_("place.type.khu_dan_cu"),
    "khu phố": N_("place.type.khu_pho"),
    "thôn": N_("place.type.thon"),
    "xóm": N_("place.type.xom"),
    "ấp": N_("place.type.ap"),
    "bản": N_("place.type.ban"),
    "buôn": N_("place.type.buon"),
    "làng": N_("place.type.lang"),
}
ANY_COMMUNE = N_("place.type.any_commune")
ANY_VILLAGE = N_("place.type.any_village")


def place_types(t: Translator, types: Sequence[str | None], unknown: str) -> str:
    """The types of the places on offer, as a question names them: «xã» where all are xã,
    «phường hay xã» in a city; `unknown` (a message id) where a name does not say its type."""
    if not types or None in types:
        return t(unknown)
    words = list(dict.fromkeys(t(PLACE_TYPE_LABELS[word]) for word in types if word))
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + t("place.types.or") + words[-1]


def as_heading(text: str) -> str:
    """A name as a list item begins it: «xã Phú Đình» → «Xã Phú Đình»."""
    return text[:1].upper() + text[1:]
