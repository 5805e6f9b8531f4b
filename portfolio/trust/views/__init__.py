"""Trust (fideicomiso) pages: company, overview and disbursements, board, trustee, programs.

The blueprint and the helpers the page modules share are in ``common.py``."""
from __future__ import annotations

from portfolio.trust.views import board, company, overview, trustee  # noqa: F401  (their routes are on bp)
from portfolio.trust.views.common import bp

__all__ = ["bp"]
