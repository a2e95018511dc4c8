"""Argument types shared by the commands."""

from __future__ import annotations

import argparse
from datetime import date


def iso_date(text: str) -> date:
    """Parse a YYYY-MM-DD day, with a message argparse can show."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
