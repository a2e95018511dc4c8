"""In-memory fakes of the ports in `bot.ports`: no database, the same behaviour (the contract
tests in tests/test_store_contract.py run the same checks on the fake and on the database)."""

from tests.fakes.store import FakeStore, as_store

__all__ = ["FakeStore", "as_store"]
