"""What an operator watches: Prometheus metrics, and the figures behind /healthz.

Counters and histograms are fed as the bot works (the dispatcher, the outbox, and every ERROR
log line); the queue figures (inbox not yet handled, outbox backlog and lag, jobs due and their
lag) are read from the database when scraped, so every worker reports the shared queues the same.
Each Application has its own registry: several can run in one process (tests).

Labels carry a channel name, an outcome or a logger name, never anything about a person.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from storage.queues import QueueHealth

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The bot's metrics in one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "tiepdan_updates_handled", "Updates handled", ["channel", "outcome"], registry=r
        )
        self.handling = Histogram(
            "tiepdan_reply_seconds",
            "From an update's arrival to its replies being queued (handled and committed)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.sends = Counter(
            "tiepdan_messages_sent", "Sends to a messenger", ["channel", "outcome"], registry=r
        )
        self.send_time = Histogram(
            "tiepdan_send_seconds", "Time of one send call", ["channel"], registry=r
        )
        self.errors = Counter(
            "tiepdan_errors",
            "ERROR log lines, by the module that wrote them",
            ["where"],
            registry=r,
        )
        self.inbox_pending = Gauge(
            "tiepdan_inbox_pending", "Updates stored but not yet handled", registry=r
        )
        self.outbox_backlog = Gauge(
            "tiepdan_outbox_backlog", "Messages queued and not yet sent", registry=r
        )
        self.outbox_lag = Gauge(
            "tiepdan_outbox_lag_seconds", "How long the oldest due message has waited", registry=r
        )
        self.jobs_due = Gauge("tiepdan_jobs_due", "Scheduled jobs due and not done", registry=r)
        self.jobs_lag = Gauge(
            "tiepdan_jobs_lag_seconds", "How long the oldest due job has waited", registry=r
        )

    def handled(self, channel: str, ok: bool, seconds: float) -> None:
        """One update handled (`ok` False: its handler failed and the person got an apology)."""
        self.updates.labels(channel, "ok" if ok else "failed").inc()
        self.handling.observe(max(seconds, 0.0))

    def sent(self, channel: str, outcome: str, seconds: float) -> None:
        """One send: "sent", "retry" (429 or a network error) or "failed" (refused for good)."""
        self.sends.labels(channel, outcome).inc()
        self.send_time.labels(channel).observe(seconds)

    def exposition(self, health: QueueHealth) -> bytes:
        """The Prometheus text format, with the queue figures just read."""
        self.inbox_pending.set(health.inbox_pending)
        self.outbox_backlog.set(health.outbox_backlog)
        self.outbox_lag.set(health.outbox_lag_seconds)
        self.jobs_due.set(health.jobs_due)
        self.jobs_lag.set(health.jobs_lag_seconds)
        return generate_latest(self.registry)

    def error_counter(self) -> logging.Handler:
        """A log handler that counts ERROR lines (install it on the root logger)."""
        return _ErrorCounter(self.errors)


class _ErrorCounter(logging.Handler):
    def __init__(self, errors: Counter) -> None:
        super().__init__(level=logging.ERROR)
        self._errors = errors

    def emit(self, record: logging.LogRecord) -> None:
        self._errors.labels(record.name).inc()
