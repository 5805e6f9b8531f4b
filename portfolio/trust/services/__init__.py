"""Trust services: every business rule of contributions, disbursements and the trust's books.

Services take plain arguments, add/flush but never commit, and raise DomainError with Spanish messages.
Every money command takes an idempotency ``key``: a retry with the same key and data returns the first
result (``Done.replayed``), the same key with other data is refused.
"""
