"""Public figures about the OxI portfolio and the trust. Filled in once those halves exist; until then
the portal shows the indicators alone."""
from __future__ import annotations


def overview() -> dict | None:
    return None
