"""A pytest plugin (loaded by ``tests/conftest.py``): under ``CI`` or ``PORTFOLIO_REQUIRE_ALL=1`` a run that
skipped or xfailed any test fails, whatever skipped it (a missing service, a library's own skip, a marker),
and lists them; outside CI skips are reported as usual."""
from __future__ import annotations

import os

import pytest

REQUIRE_ALL = bool(os.environ.get("CI")) or os.environ.get("PORTFOLIO_REQUIRE_ALL") == "1"
_skipped: list[str] = []


def pytest_runtest_logreport(report) -> None:
    if REQUIRE_ALL and report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus) -> None:
    if _skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if _skipped:
        terminalreporter.write_line(
            f"{len(_skipped)} prueba(s) omitida(s) con CI o PORTFOLIO_REQUIRE_ALL: la ejecución falla "
            f"(nada puede omitirse aquí): {', '.join(_skipped[:20])}", red=True)
