"""From a fresh clone to the first page served by ``make run`` (issue 17, goal 6: ≤ 60 s on a warm package cache).

    .venv/bin/python benchmarks/fresh_clone.py [--pip-too] [--port 5077]

Clones this repository (its committed HEAD) into a temporary folder, runs ``make run`` there and asks for the
portal's first page until it answers 200; prints the seconds from the start of the clone to that answer, with
the part ``make install`` took (the venv's install stamp) and the 1-minute load average. ``--pip-too`` does the
same again with ``UV=false`` (pip installs), for the comparison in the same run. Run it with nothing else
loading the machine: the package caches (uv's, pip's) are whatever this machine has.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 60


def first_page(port: int, extra: list[str], deadline: float = 900) -> tuple[float, float | None, str]:
    folder = Path(tempfile.mkdtemp(prefix="fresh_clone_"))
    started = time.perf_counter()
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(folder / "repo")], check=True)
    repo = folder / "repo"
    log = (folder / "make-run.log").open("w")
    server = subprocess.Popen(["make", "run", f"PORT={port}", *extra], cwd=repo, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        while True:
            if server.poll() is not None:
                raise SystemExit(f"make run ended with {server.returncode}; see {log.name}")
            if time.perf_counter() - started > deadline:
                raise SystemExit(f"no page after {deadline} s; see {log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/transparencia/", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        total = time.perf_counter() - started
        stamp = repo / ".venv" / ".installed"
        install = stamp.stat().st_mtime - (time.time() - total) if stamp.exists() else None
        return total, install, f"{os.getloadavg()[0]:.2f}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--pip-too", action="store_true", help="also measure with UV=false (pip installs)")
    args = parser.parse_args()
    if shutil.which("make") is None or shutil.which("git") is None:
        sys.exit("make and git are needed")
    runs = [("uv (por defecto)", [])] + ([("pip (UV=false)", ["UV=false"])] if args.pip_too else [])
    print(f"{'instalador':<18} {'clon → 1.ª página':>18} {'make install':>13} {'carga':>6}")
    for name, extra in runs:
        total, install, load = first_page(args.port, extra)
        mark = "✓" if total <= GOAL_SECONDS else f"✗ (meta ≤ {GOAL_SECONDS} s)"
        print(f"{name:<18} {total:16.1f} s {install or float('nan'):11.1f} s {load:>6}  {mark}", flush=True)


if __name__ == "__main__":
    main()
