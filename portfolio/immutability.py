"""What may change in each history table, enforced by the database, and the application role's grants.

``HISTORY`` lists every table that records something that happened. A table with no allowed change is
append-only (no UPDATE, no DELETE, no TRUNCATE); a transition table names the columns that may change and
how (a status moving along its transitions, a value set once, a counter that only grows); every other
column is frozen, and no row may be deleted. Migrations turn each rule into triggers (PostgreSQL and
SQLite: PostgreSQL also refuses TRUNCATE); ``grant_statements`` turns the same rules into the privileges of
the production application role (``flask --app portfolio db grant-app-role``), which owns nothing and so
cannot disable a trigger. ``ORDINARY`` lists the tables of current data, which the application edits.

On SQLite a batch ("move and copy") migration of such a table recreates it without its triggers: call
``protect`` again after one.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from alembic import op

from portfolio.documents.vocab import DOCUMENT_TRANSITIONS
from portfolio.imports.models import ImportStatus
from portfolio.projects.vocab import CERTIFICATE_TRANSITIONS
from portfolio.trust.ledger.models import TRANSITIONS as TRANSFER_TRANSITIONS
from portfolio.trust.vocab import DISBURSEMENT_TRANSITIONS, PAYMENT_TRANSITIONS


@dataclass(frozen=True)
class History:
    table: str
    changes: tuple[str, ...] = ()          # columns that may change to any value
    status: str | None = None              # a status column that only moves along ``transitions``
    transitions: tuple[tuple[str, str], ...] = ()
    once: tuple[str, ...] = ()             # NULL → a value, once
    grows: tuple[str, ...] = ()            # may only increase
    why: str = field(default="", compare=False)

    @property
    def append_only(self) -> bool:
        return not self.updatable

    @property
    def updatable(self) -> tuple[str, ...]:
        return self.changes + ((self.status,) if self.status else ()) + self.once + self.grows


def _pairs(table) -> tuple[tuple[str, str], ...]:
    """(from, to) pairs of a domain transition table, staying put excluded."""
    return tuple((str(a), str(b)) for a, targets in table.items() for b in sorted(targets) if a != b)


HISTORY: tuple[History, ...] = (
    # foundation
    History("audit_log", why="the audit trail"),
    History("login_attempts", why="sign-in attempts (throttling evidence)"),
    History("rule_values", why="effective-dated legal values: a new value is a new row"),
    # projects
    History("project_stage_transitions", why="stage history"),
    History("budget_revisions", why="budget versions (the original is never overwritten)"),
    History("certificate_holdings", why="a certificate's split among consortium members"),
    History("project_certificates", status="status",
            transitions=_pairs(CERTIFICATE_TRANSITIONS),
            grows=("version",), why="certificates: only the status moves (solicitado → emitido → anulado)"),
    History("mef_executions", why="MEF's execution figures per project and year: each import adds a version"),
    # indicators
    History("indicator_measurements", why="quarterly measurements; a correction is a new version"),
    History("indicator_targets", changes=("value", "set_at", "set_by_id"),
            why="annual targets: the value may be reset, the row is never deleted"),
    # imports
    History("import_batches", status="status",
            transitions=((ImportStatus.PENDIENTE, ImportStatus.APLICADO), (ImportStatus.PENDIENTE, ImportStatus.DESCARTADO)), once=("applied_at",),
            changes=("summary_json",), why="uploaded files: claimed once (pendiente → aplicado | descartado)"),
    # ledger
    History("ledger_entries", why="journal entries"),
    History("ledger_postings", why="postings"),
    History("ledger_periods", why="closed periods"),
    History("ledger_accounts", changes=("balance",), why="accounts: only the cached balance changes"),
    History("ledger_period_balances", grows=("debit", "credit"),
            why="balances per account and month: postings only add to the month's debits and credits"),
    History("ledger_commands", once=("result_type", "result_id"),
            why="idempotency records: the result is filled in once"),
    History("ledger_transfers", status="status", transitions=_pairs({a: set(moves.values()) for a, moves in TRANSFER_TRANSITIONS.items()}),
            grows=("posted_amount", "voided_amount"),
            why="two-phase transfers: pending → posted | voided, executed and voided amounts only grow"),
    # trust
    History("trust_contribution_versions", why="declarations and rectifications"),
    History("trust_contributions", changes=("amount_due", "amount_paid"), grows=("current_version",),
            why="a month's obligation: due and paid follow the versions and payments, the version only grows"),
    History("trust_payments", status="status",
            transitions=_pairs(PAYMENT_TRANSITIONS),
            once=("decided_at", "decided_by_id", "decision_note", "entry_id", "reversal_entry_id"),
            why="payments: registrado → confirmado | rechazado, confirmado → revertido; the decision is written once"),
    History("trust_disbursements", status="status", transitions=_pairs(DISBURSEMENT_TRANSITIONS), grows=("paid_amount",), once=("transfer_id", "cancel_reason"), changes=("decided_at",),
        why="disbursements: the status moves forward, the paid amount only grows"),
    History("trust_program_allocations", changes=("amount", "goals", "committed"),
            why="annual plans: amount and goals may be revised, never deleted; the committed amount follows the "
                "disbursements (a trigger)"),
    History("trust_invoices", why="supporting invoices"),
    History("trust_votes", why="board votes"),
    History("trust_tranches", why="executed disbursement tranches"),
    History("trust_bank_balances", why="bank statement balances recorded by the trustee"),
    History("trust_conflicts", why="declared conflicts of interest"),
    # issued PDFs
    History("issued_documents", why="PDFs as issued: code, what they certified and the SHA-256 of the file"),
    # documents (the expediente)
    History("document_blobs", why="stored file contents, addressed by their SHA-256"),
    History("documents", status="status", transitions=_pairs(DOCUMENT_TRANSITIONS),
            once=("withdrawn_at", "withdrawn_by_id", "withdraw_reason"),
            why="attached documents: never overwritten (a new version is a new row); withdrawal is set once"),
    History("vote_documents", why="the documents (and hashes) on file when each board vote was cast"),
)
HISTORY_BY_TABLE = {h.table: h for h in HISTORY}

# Current data that the application edits (and, for those in DELETABLE, deletes).
ORDINARY = (
    "project_members", "project_locations", "companies", "public_entities", "entity_caps", "users", "projects",
    "budget_lines", "project_milestones", "project_variations", "company_tax_declarations", "indicators",
    "trust_organizations", "trust_programs", "export_jobs", "user_sessions", "api_tokens", "api_idempotency",
    # notices: the read mark and the e-mail delivery state change; the unique key keeps one row per notice
    "notices", "notification_preferences", "calendar_feeds",
    # the lists' totals: triggers append tallies, the application folds them (delete and insert) when compacting
    "trust_contribution_tallies", "trust_disbursement_tallies", "project_tallies",
)
# user_sessions: a login's server-side session; ended or expired rows are purged at the owner's next login.
# api_tokens: revocation and last use change; api_idempotency: remembered POST answers (may be purged).
DELETABLE = ("project_members", "project_locations", "entity_caps", "user_sessions", "api_idempotency",
             "trust_contribution_tallies", "trust_disbursement_tallies", "project_tallies")

REFUSE_APPEND = "la tabla {table} es de solo inserción: use un asiento de reversión"
REFUSE_GUARD = "la tabla {table} guarda historia: ese cambio no está permitido"

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION portfolio_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'la tabla % es de solo inserción: use un asiento de reversión', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""
PG_GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION portfolio_forbid_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'la tabla % guarda historia: ese cambio no está permitido (%)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def update_refused_when(rule: History, columns: list[str], dialect: str) -> str:
    """The SQL condition (on OLD/NEW) under which an UPDATE of ``rule.table`` is refused."""
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    allowed = set(rule.updatable)
    parts = [f"OLD.{_q(c)} {differs} NEW.{_q(c)}" for c in columns if c not in allowed]
    if rule.status:
        s = _q(rule.status)
        moves = ", ".join(f"'{a}>{b}'" for a, b in rule.transitions) or "''"
        parts.append(f"(OLD.{s} {differs} NEW.{s} AND (OLD.{s} || '>' || NEW.{s}) NOT IN ({moves}))")
    parts += [f"(OLD.{_q(c)} IS NOT NULL AND OLD.{_q(c)} {differs} NEW.{_q(c)})" for c in rule.once]
    parts += [f"NEW.{_q(c)} < OLD.{_q(c)}" for c in rule.grows]
    return " OR ".join(parts) or "false"


def make_append_only(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION portfolio_forbid_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION portfolio_forbid_change()"
        )
    elif dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSE_APPEND.format(table=table)}'); END"
            )
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"append-only tables not implemented for {dialect}")


def drop_append_only(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    elif dialect == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def make_guarded(rule: History) -> None:
    """A transition table: refuse DELETE (and TRUNCATE) and any UPDATE outside the rule."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    from sqlalchemy import inspect

    columns = [c["name"] for c in inspect(bind).get_columns(rule.table)]
    when = update_refused_when(rule, columns, dialect)
    table = rule.table
    if dialect == "postgresql":
        op.execute(PG_GUARD_FUNCTION)
        op.execute(f"CREATE TRIGGER {table}_guard_update BEFORE UPDATE ON {table} FOR EACH ROW "
                   f"WHEN ({when}) EXECUTE FUNCTION portfolio_forbid_history_change()")
        op.execute(f"CREATE TRIGGER {table}_guard_delete BEFORE DELETE ON {table} FOR EACH ROW "
                   "EXECUTE FUNCTION portfolio_forbid_history_change()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
                   "EXECUTE FUNCTION portfolio_forbid_history_change()")
    elif dialect == "sqlite":
        message = REFUSE_GUARD.format(table=table)
        op.execute(f"CREATE TRIGGER {table}_guard_update BEFORE UPDATE ON {table} WHEN {when} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        op.execute(f"CREATE TRIGGER {table}_guard_delete BEFORE DELETE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
    else:  # pragma: no cover
        raise RuntimeError(f"guarded tables not implemented for {dialect}")


def drop_guarded(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name in ("guard_update", "guard_delete", "no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}")
    elif dialect == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_guard_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_guard_delete")


def protect(table: str) -> None:
    """Create the triggers the registry asks for on ``table``."""
    rule = HISTORY_BY_TABLE[table]
    if rule.append_only:
        make_append_only(table)
    else:
        make_guarded(rule)


def unprotect(table: str) -> None:
    rule = HISTORY_BY_TABLE[table]
    if rule.append_only:
        drop_append_only(table)
    else:
        drop_guarded(table)


@contextlib.contextmanager
def unprotected(*tables: str) -> Iterator[None]:
    """For a migration that reshapes history tables: drop their triggers, run the block, create them again.
    On SQLite a batch migration rebuilds the table without its triggers; on PostgreSQL a backfill of a new
    column would be refused by them. The triggers come back from the registry, so they match the new shape."""
    for table in tables:
        unprotect(table)
    yield
    for table in tables:
        protect(table)


# --- the production application role (PostgreSQL) ---------------------------------------------------

def grant_statements(role: str, tables: list[str]) -> list[str]:
    """GRANT/REVOKE statements for the application role: read and insert everywhere, update and delete
    ordinary data, update only the changeable columns of transition tables, nothing more on append-only
    tables. ``tables`` are the tables present in the database (``alembic_version`` is read-only)."""
    r = _q(role)
    out = [f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {r}",
           f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {r}",
           f"GRANT USAGE ON SCHEMA public TO {r}",
           f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}"]
    for table in sorted(tables):
        t = _q(table)
        if table == "alembic_version":
            out.append(f"GRANT SELECT ON {t} TO {r}")
            continue
        out.append(f"GRANT SELECT, INSERT ON {t} TO {r}")
        rule = HISTORY_BY_TABLE.get(table)
        if rule is not None:
            if rule.updatable:
                out.append(f"GRANT UPDATE ({', '.join(_q(c) for c in rule.updatable)}) ON {t} TO {r}")
        else:
            out.append(f"GRANT UPDATE{', DELETE' if table in DELETABLE else ''} ON {t} TO {r}")
    return out


class RoleError(RuntimeError):
    """The application role cannot be set up as asked (Spanish message)."""


def grant_app_role(connection, role: str, *, password: str | None = None) -> list[str]:
    """Set up ``role`` as the production application role on the connection's database (PostgreSQL), run as
    the owner of the tables after every ``db upgrade``. Creates the role (LOGIN, no other attribute) when it
    does not exist and a password is given. Returns the statements it ran."""
    from sqlalchemy import inspect, text

    if connection.dialect.name != "postgresql":
        raise RoleError("Los roles de base de datos solo existen en PostgreSQL.")
    if not role or not all(ch.isalnum() or ch == "_" for ch in role) or role[0].isdigit():
        raise RoleError("Nombre de rol inválido: use letras, números y guion bajo.")
    info = connection.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"),
                              {"r": role}).first()
    ran: list[str] = []
    if info is None:
        if not password:
            raise RoleError(f"El rol {role} no existe: créelo (vea el README) o indique su contraseña.")
        sql = (f"CREATE ROLE {_q(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS "
               f"PASSWORD '{password.replace(chr(39), chr(39) * 2)}'")
        connection.execute(text(sql))
        ran.append(f"CREATE ROLE {_q(role)} LOGIN … PASSWORD '***'")
    elif info.rolsuper or info.rolbypassrls:
        raise RoleError(f"El rol {role} es superusuario: la aplicación debe usar un rol sin privilegios especiales.")
    owner = connection.execute(text("SELECT current_user")).scalar_one()
    if owner == role or connection.execute(text("SELECT pg_has_role(:r, current_user, 'MEMBER')"),
                                           {"r": role}).scalar_one():
        raise RoleError(f"El rol {role} es (o hereda) el dueño de las tablas: use un rol distinto para la aplicación.")
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    tables = inspect(connection).get_table_names()
    for sql in [f"GRANT CONNECT ON DATABASE {_q(database)} TO {_q(role)}", *grant_statements(role, tables)]:
        connection.execute(text(sql))
        ran.append(sql)
    return ran
