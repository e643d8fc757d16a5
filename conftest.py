"""Root test configuration: the same suite runs on SQLite (default) and PostgreSQL (DATABASE_URL)."""
