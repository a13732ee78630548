"""Sessions kept in SQLite: recording, queries, resuming, the history view."""
