"""The trust's double-entry ledger: the pure core, no web framework (every function takes a Session).

Guarantees (modelled on TigerBeetle's):
- accounts carry a type and a ``no_negative`` flag; the cached ``balance`` (normal side, céntimos) is
  updated in the same transaction as the postings, under a row lock (``SELECT … FOR UPDATE`` on
  PostgreSQL; SQLite serialises writers);
- a journal entry has ≥ 2 postings whose debits equal credits (checked here, by CHECK constraints per
  posting and, on PostgreSQL, by a deferred constraint trigger per entry);
- every money command carries an idempotency key stored with a hash of its payload: the same key and
  payload return the first result, the same key with another payload is refused;
- entries and postings are append-only (database triggers + a ``before_flush`` guard); a correction is
  a reversing entry that points at the original, and an entry can be reversed at most once;
- two-phase transfers: ``reserve`` (pending) → ``post`` (in one or several tranches) or ``void``;
  the status only moves along ``TRANSITIONS``;
- balances per account and month (``PeriodBalance``) are kept with the postings, so a balance at a date
  reads whole months plus one month's postings (``balance_on``), and ``verify`` recomputes them;
- inside ``deferred_balances`` (every money command) an entry that cannot overdraw applies its balance
  changes at the end of the command, so the busiest account rows stay locked only until the commit;
- closed periods (months) accept no postings (refused here and by database triggers); they close in
  order, from the month of the first entry, and freeze their entry count and total for ``verify``.
"""
from __future__ import annotations

from portfolio.trust.ledger.balances import (
    balance_on,
    balances_on,
    deferred_balances,
    load_period_balances,
    month_of,
    next_month,
    pending_changes,
)
from portfolio.trust.ledger.checks import verify
from portfolio.trust.ledger.core import (
    Claim,
    account,
    claim,
    close_period,
    finish,
    get_or_create_account,
    is_closed,
    lock_accounts,
    lock_transfer,
    month_figures,
    next_period_to_close,
    payload_hash,
    post_entry,
    post_pending,
    reserve,
    reverse,
    transfer_lines,
    void_pending,
)
from portfolio.trust.ledger.models import (
    ACCOUNT_TYPES,
    CLOSED_TRANSFERS,
    DEBIT_NORMAL,
    STATUS_LABELS,
    TRANSITIONS,
    ZERO,
    Account,
    Command,
    Entry,
    ImmutableLedger,
    InsufficientFunds,
    LedgerError,
    Period,
    PeriodBalance,
    Posting,
    Transfer,
    TransferStatus,
    money_sum,
)

__all__ = [
    "ACCOUNT_TYPES", "CLOSED_TRANSFERS", "DEBIT_NORMAL", "STATUS_LABELS", "TRANSITIONS", "ZERO", "Account", "Claim", "Command", "Entry",
    "ImmutableLedger", "InsufficientFunds", "LedgerError", "Period", "PeriodBalance", "Posting", "Transfer", "TransferStatus", "account", "balance_on",
    "balances_on", "claim", "close_period", "deferred_balances", "finish", "get_or_create_account", "is_closed", "load_period_balances", "lock_accounts", "lock_transfer",
    "money_sum", "month_figures", "month_of", "next_month", "next_period_to_close", "payload_hash", "pending_changes", "post_entry",
    "post_pending", "reserve", "reverse", "transfer_lines", "verify", "void_pending",
]
