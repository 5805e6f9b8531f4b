"""Database models of the projects domain (filled in by its own issue)."""
