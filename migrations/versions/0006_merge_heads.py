"""Branch-local merge point of the domain revisions (projects, trust, imports).

Each domain branch starts its revision from "0001"; this file only joins those heads so the ``imports``
branch has a single head to upgrade to. It creates nothing. Delete it when the revisions are re-chained.

Revision ID: 0006_merge_heads
"""
from __future__ import annotations

revision = "0006_merge_heads"
down_revision = ("0002_projects", "0003_trust", "0005_imports")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
