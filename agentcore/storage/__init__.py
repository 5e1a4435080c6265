"""The database shared by conversation memory and the call log (sqlmodel; SQLite or PostgreSQL)."""
