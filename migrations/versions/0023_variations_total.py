"""projects keep the sum of their variations (``variations_total``, céntimos), maintained by the database:
triggers on project_variations add each new variation's amount, move a changed one and take back a deleted
one, on both databases. The current convenio amount (awarded + variations), which lists sort by and the
pipeline, dashboards and portal sum over every project, then reads a column instead of running a subquery
per project. Backfilled from the existing variations.

Revision ID: 0023_variations_total
Revises: 0022_stage_rank
Create Date: 2026-12-01 20:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_variations_total"
down_revision = "0022_stage_rank"
branch_labels = None
depends_on = None

TRIGGERS = ("project_variations_total_insert", "project_variations_total_update", "project_variations_total_delete")
PG = """
CREATE OR REPLACE FUNCTION project_variations_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE projects SET variations_total = variations_total - COALESCE(OLD.amount_delta, 0)
            WHERE id = OLD.project_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE projects SET variations_total = variations_total + COALESCE(NEW.amount_delta, 0)
            WHERE id = NEW.project_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER project_variations_total_insert AFTER INSERT ON project_variations
    FOR EACH ROW EXECUTE FUNCTION project_variations_total();
CREATE TRIGGER project_variations_total_update AFTER UPDATE OF amount_delta, project_id ON project_variations
    FOR EACH ROW EXECUTE FUNCTION project_variations_total();
CREATE TRIGGER project_variations_total_delete AFTER DELETE ON project_variations
    FOR EACH ROW EXECUTE FUNCTION project_variations_total();
"""
SQLITE = (
    """CREATE TRIGGER project_variations_total_insert AFTER INSERT ON project_variations BEGIN
        UPDATE projects SET variations_total = variations_total + COALESCE(NEW.amount_delta, 0)
            WHERE id = NEW.project_id;
    END""",
    """CREATE TRIGGER project_variations_total_update AFTER UPDATE OF amount_delta, project_id ON project_variations
    BEGIN
        UPDATE projects SET variations_total = variations_total - COALESCE(OLD.amount_delta, 0)
            WHERE id = OLD.project_id;
        UPDATE projects SET variations_total = variations_total + COALESCE(NEW.amount_delta, 0)
            WHERE id = NEW.project_id;
    END""",
    """CREATE TRIGGER project_variations_total_delete AFTER DELETE ON project_variations BEGIN
        UPDATE projects SET variations_total = variations_total - COALESCE(OLD.amount_delta, 0)
            WHERE id = OLD.project_id;
    END""",
)


def upgrade() -> None:
    op.add_column("projects", sa.Column("variations_total", sa.BigInteger(), server_default="0", nullable=False))
    op.execute("UPDATE projects SET variations_total = COALESCE((SELECT SUM(v.amount_delta) FROM project_variations v "
               "WHERE v.project_id = projects.id), 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG)
    else:
        for statement in SQLITE:
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON project_variations" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS project_variations_total()")
    op.execute("ALTER TABLE projects DROP COLUMN variations_total")
