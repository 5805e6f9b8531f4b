"""Read operations for staff, auditors and MEF (projects, entities, the trust, the audit trail)."""
from __future__ import annotations
