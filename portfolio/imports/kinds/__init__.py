"""The imports, by URL key."""
from __future__ import annotations

from portfolio.imports.base import ImportKind
from portfolio.imports.kinds.bank import BankStatementImport
from portfolio.imports.kinds.declarations import DeclarationsImport
from portfolio.imports.kinds.mef import MefExecutionImport
from portfolio.imports.kinds.projects import ProjectsImport

KINDS: dict[str, ImportKind] = {k.key: k for k in (DeclarationsImport(), BankStatementImport(), ProjectsImport(),
                                                MefExecutionImport())}
