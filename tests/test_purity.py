"""The domain core loads without the web framework: the ledger, every services module, every models
module, the domain errors and the access policy table import no Flask (each in a fresh interpreter)."""
from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import portfolio

ROOT = Path(portfolio.__file__).resolve().parent.parent
WEB = ("flask", "flask_wtf", "flask_login", "flask_bootstrap", "werkzeug")


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(portfolio.__path__, prefix="portfolio."):
        parts = info.name.split(".")
        if "services" in parts or parts[-1] == "models" or info.name.startswith("portfolio.trust.ledger"):
            names.append(info.name)
    return sorted(names)


PURE = _modules() + [
    "portfolio.trust.ledger",
    "portfolio.db",
    "portfolio.db_types",
    "portfolio.domain_errors",
    "portfolio.auth.policy",
    "portfolio.orgs.ruc",
]


def test_the_walk_finds_the_core():
    # Guard against a walk that silently finds nothing.
    for expected in ("portfolio.trust.services.disbursements", "portfolio.projects.services",
                     "portfolio.trust.ledger.core", "portfolio.trust.models", "portfolio.imports.services"):
        assert expected in PURE


@pytest.mark.parametrize("module", sorted(set(PURE)))
def test_module_imports_no_web_framework(module):
    code = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        f"loaded = sorted(m for m in {WEB!r} if m in sys.modules); "
        "print(','.join(loaded)); sys.exit(1 if loaded else 0)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, f"importing {module} loads {done.stdout.strip()}{done.stderr[-2000:]}"
