"""The storage tests' database fixtures (SQLite and PostgreSQL), reused here."""

from tests.storage.conftest import _close_engines, db  # noqa: F401  # pyright: ignore[reportUnusedImport]
