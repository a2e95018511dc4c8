"""The scheduler: jobs with a due time in the database, claimed and run, never twice.

Each tick claims due jobs (a lease: a job whose holder died is taken over when the lease runs
out), then runs each in its own transaction that marks it done only if this worker still holds
it and queues its messages in the same commit. So a reminder survives restarts, fires at most one
tick late after downtime, and is sent once even with two bot processes on one database.

What a job sends is said by its kind, declared where the feature lives (`bot.jobs`); a job of a
kind nobody declares is logged and set aside (marked done, unrun), not retried for ever. A kind
with long reading to do (a report) has it done first on a read snapshot, outside that
transaction. A job due at once (a report asked for in chat) wakes the scheduler instead of
waiting for the next tick.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core import Outgoing, notice
from bot.environment import Environment
from bot.jobs import PREPARE_FAILED, DueJob, JobKinds, Prepare
from bot.loops import Stopping
from bot.outbox import QueuedMessage
from bot.services import consultations, dialogues, exports, reminders, surveys
from storage import queues
from storage.db import Database
from storage.repository import SqlStore

log = logging.getLogger(__name__)

TICK_SECONDS = 30.0
LEASE_SECONDS = 300.0
CLAIM_LIMIT = 200
PREPARE_TRIES = 3  # a try per lease (5 minutes)
JOB_KINDS = JobKinds[Environment]().include(
    reminders.jobs, dialogues.jobs, consultations.jobs, exports.jobs, surveys.jobs
)


class Scheduler:
    """Runs due jobs every tick."""

    def __init__(
        self,
        db: Database,
        env: Environment,
        clock: Callable[[], datetime],
        push: Callable[[list[QueuedMessage]], None],
        tick: float = TICK_SECONDS,
        worker: str | None = None,
    ) -> None:
        self.db = db
        self.env = env
        self.clock = clock
        self.push = push
        self.tick = tick
        self.worker = worker or db.worker
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A job was committed that is due now: run it without waiting for the tick."""
        self._wake.set()

    async def run(self, stopping: Stopping) -> None:
        """Tick until the bot stops; the first tick is at once (catching up after downtime)."""
        try:
            async with self.db.transaction() as session:
                if released := await queues.release_jobs(session, self.worker):
                    log.info("took back %d jobs claimed before a restart", released)
        except Exception:
            log.exception("could not take back this worker's claimed jobs; their lease will")
        while not stopping.is_set():
            self._wake.clear()
            try:
                await self.run_due()
            except Exception:
                log.exception("scheduler tick failed; next tick retries")
            await stopping.pause(self.tick, self._wake)

    async def run_due(self) -> int:
        """Claim and run what is due now; return how many jobs this worker completed."""
        now = self.clock()
        async with self.db.transaction() as session:
            jobs = await queues.claim_jobs(
                session, now, self.worker, now - timedelta(seconds=LEASE_SECONDS), CLAIM_LIMIT
            )
        if not jobs:
            return 0
        try:
            return await self._run(jobs)
        except Exception:
            log.exception("a batch of %d jobs failed; running them one by one", len(jobs))
        done = 0
        for job in jobs:
            try:
                done += await self._run([job])
            except Exception:
                log.exception("job %s failed; it runs again when its lease ends", job.id)
        return done

    async def _run(self, jobs: list[queues.ClaimedJob]) -> int:
        """Run jobs in one transaction: each is done, with its messages, or none is."""
        now = self.clock()
        prepared = await self._prepare(jobs, now)
        jobs = [job for job in jobs if job.id in prepared or _preparation(job) is None]
        done = 0
        async with self.db.transaction() as session:
            store = SqlStore(session)
            messages = []
            for job in jobs:
                if not await queues.finish_job(session, job.id, self.worker, now):
                    continue  # another worker took it over: it is theirs to send
                due = DueJob(
                    store, self.env, job.payload, job.petition_id, now, prepared.get(job.id)
                )
                outgoing = await _outgoing(job, due)
                if outgoing is None:
                    continue
                messages += [(out.recipient, notice(out.reply)) for out in outgoing]
                done += 1
            stored = await queues.enqueue(session, messages, now)
        self.push([QueuedMessage(i, r.channel, r.chat_id, reply) for i, r, reply in stored])
        return done

    async def _prepare(self, jobs: list[queues.ClaimedJob], now: datetime) -> dict[int, object]:
        """The long reading of the jobs that have some, each on its own snapshot, which blocks
        no writer (the chats go on being answered meanwhile).

        A job whose reading fails is left out, to run again when its lease ends; at its last
        try it runs with `PREPARE_FAILED` (and says so), rather than failing every five minutes
        for ever."""
        prepared: dict[int, object] = {}
        for job in jobs:
            prepare = _preparation(job)
            if prepare is None:
                continue
            try:
                async with self.db.snapshot() as session:
                    prepared[job.id] = await prepare(SqlStore(session), self.env, job.payload, now)
            except Exception:
                last = job.attempts >= PREPARE_TRIES
                log.exception(
                    "job %s (%s) could not be prepared, try %d of %d",
                    job.id, job.kind, job.attempts, PREPARE_TRIES,
                )  # fmt: skip
                if last:
                    prepared[job.id] = PREPARE_FAILED
        return prepared


async def _outgoing(job: queues.ClaimedJob, due: DueJob[Environment]) -> list[Outgoing] | None:
    """What the job sends, as its kind says; None for a kind nobody declares, which is logged
    (the job is done without running: a retry would not find the kind either)."""
    kind = JOB_KINDS.get(job.kind)
    if kind is None:
        log.error("job %s is of unknown kind %r: marked done without running", job.id, job.kind)
        return None
    return await kind.run(due)


def _preparation(job: queues.ClaimedJob) -> Prepare[Environment] | None:
    """The long reading a job's kind does before it runs, if any."""
    kind = JOB_KINDS.get(job.kind)
    return kind.prepare if kind is not None else None
