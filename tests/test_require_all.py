"""Under CI nothing may be skipped: a run with a skipped or xfailed test fails and names it (tests/require_all.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path, body: str, **env) -> subprocess.CompletedProcess:
    test = tmp_path / "test_inner.py"
    test.write_text("import pytest\n\n" + body)
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "PORTFOLIO_REQUIRE_ALL")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.require_all",
                           "--rootdir", str(tmp_path), "-c", os.devnull, str(test)],
                          cwd=ROOT, env={**clean, "PYTHONPATH": str(ROOT), **env}, capture_output=True, text=True,
                          timeout=120)


def test_a_skip_fails_the_run_under_ci_and_only_there(tmp_path):
    body = "def test_ok():\n    assert True\n\ndef test_skipped():\n    pytest.skip('sin servicio')\n"
    outside = _run(tmp_path, body)
    assert outside.returncode == 0, outside.stdout[-2000:]
    inside = _run(tmp_path, body, CI="true")
    assert inside.returncode == 1, inside.stdout[-2000:]
    assert "test_inner.py::test_skipped" in inside.stdout and "omitida" in inside.stdout


def test_an_xfail_fails_the_run_under_ci(tmp_path):
    body = "@pytest.mark.xfail(reason='conocido')\ndef test_known():\n    assert False\n"
    assert _run(tmp_path, body, PORTFOLIO_REQUIRE_ALL="1").returncode == 1
    assert _run(tmp_path, body).returncode == 0
