"""Log lines for people (the default) or for a log collector (LOG_FORMAT=json).

Nothing personal is logged anywhere: log calls name officers by handle, petitions by code or id,
chats by channel, and count the rest (see the README's privacy notes). The JSON form adds no
fields of its own beyond time, level, logger and message, and the exception when there is one.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLines(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(level: int, json_lines: bool) -> None:
    """Set up the root logger once, for the whole process."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter(HUMAN_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
