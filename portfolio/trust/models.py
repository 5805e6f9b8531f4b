"""Database models of the trust domain (filled in by its own issue)."""
