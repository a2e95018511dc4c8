"""Tiếp Dân bot: citizens reach their local government in chat, on the clock of the law."""
