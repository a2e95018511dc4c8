"""Use cases over the store: what the bot does, independent of who asked and how."""
