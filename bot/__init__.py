"""Tiếp Dân bot: citizens reach their local government in chat, on the clock of the law."""

import os

# python-telegram-bot 22 reports durations (429 retry_after, voice length) as timedelta only with
# this set; without it, a 429 raises a deprecation warning instead of RetryAfter.
os.environ.setdefault("PTB_TIMEDELTA", "1")
