"""Messenger adapters: each turns platform updates into `Incoming` and sends `Reply`s."""
