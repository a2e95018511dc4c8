"""Scheduled job kinds, declared the way conversations declare their states (`Router`).

A job in the database carries the name of its kind; the kind says what the job sends when it
comes due. Each service declares its kinds on a `JobKinds` of its own, with a decorator, and the
scheduler merges them into one registry (`bot.scheduler.JOB_KINDS`): a name declared twice is a
programming error, found at import, not a job run by whichever came last. A job whose kind nobody
declares (renamed or removed while jobs of it waited) is logged and set aside by the scheduler.

A kind with long reading to do (a report over the whole archive) declares a `prepare` step too:
the scheduler runs it first, on a read snapshot outside the job's transaction, and hands what it
read to the job as `DueJob.prepared` (`PREPARE_FAILED` when it failed at its last try).

The registry is generic in the environment a job reads (the organisation, the words: in practice
`bot.conversation.Environment`), so that it sits below the services that declare kinds, as the
layers in pyproject.toml require.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from bot.core import Outgoing
from bot.ports import Store

Env = TypeVar("Env")


class PrepareFailed:
    """A job's long reading failed at its last try: the job runs without what it would have read
    (a report: the officer is told; a report reminder: it goes without its draft)."""


PREPARE_FAILED = PrepareFailed()


@dataclass(frozen=True)
class DueJob(Generic[Env]):
    """A job at its time, with what its kind needs to say what it sends."""

    store: Store
    env: Env
    payload: dict[str, str]
    petition_id: int | None
    now: datetime
    prepared: Any = None  # what the kind's `prepare` read, if it has one


Run = Callable[[DueJob[Env]], Awaitable[list[Outgoing]]]
Prepare = Callable[[Store, Env, dict[str, str], datetime], Awaitable[Any]]


@dataclass(frozen=True)
class JobKind(Generic[Env]):
    """What a job of one kind sends (`run`), after its long reading (`prepare`), if any."""

    run: Run[Env]
    prepare: Prepare[Env] | None = None


class JobKinds(Generic[Env]):
    """The job kinds of one feature; the scheduler merges every feature's."""

    def __init__(self) -> None:
        self.kinds: dict[str, JobKind[Env]] = {}

    def kind(
        self, name: str, prepare: Prepare[Env] | None = None
    ) -> Callable[[Run[Env]], Run[Env]]:
        """Register what a job of kind `name` sends, with its long reading if it has some."""

        def register(run: Run[Env]) -> Run[Env]:
            self._add({name: JobKind(run, prepare)})
            return run

        return register

    def include(self, *others: JobKinds[Env]) -> JobKinds[Env]:
        """Merge other features' kinds into these."""
        for other in others:
            self._add(other.kinds)
        return self

    def get(self, name: str) -> JobKind[Env] | None:
        """The kind of this name; None for a name nobody declares."""
        return self.kinds.get(name)

    def _add(self, kinds: Mapping[str, JobKind[Env]]) -> None:
        """A name registered twice is a programming error."""
        if clash := self.kinds.keys() & kinds.keys():
            raise ValueError(f"job kind registered twice: {sorted(clash)}")
        self.kinds.update(kinds)
