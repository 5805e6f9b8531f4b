"""Backups of the whole database while the application keeps running.

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot that
  includes what is still in the write-ahead log; a plain file copy of a WAL database can lose committed
  transactions or copy a torn file.
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, restorable with ``pg_restore``).

The file is written next to its destination under a temporary name and renamed when complete, so an
interrupted backup never leaves a file that looks finished. An existing file is never overwritten.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from portfolio import config


class BackupError(Exception):
    """A backup that could not be made; the message is Spanish for the operator."""


def backup(database_url: str, destination: str | os.PathLike) -> Path:
    target = Path(destination).expanduser().resolve()
    if target.exists():
        raise BackupError(f"El archivo {target} ya existe; elija otro nombre (nunca se sobrescribe un respaldo).")
    if not target.parent.is_dir():
        raise BackupError(f"La carpeta {target.parent} no existe.")
    partial = target.with_name(f".{target.name}.parcial")
    partial.unlink(missing_ok=True)
    url = make_url(database_url)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite(url.database, partial)
        elif url.get_backend_name() == "postgresql":
            _postgresql(url, partial)
        else:
            raise BackupError(f"No se sabe respaldar una base de datos {url.get_backend_name()}.")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _sqlite(database: str | None, partial: Path) -> None:
    if not database or database == ":memory:":
        raise BackupError("La base de datos SQLite en memoria no se puede respaldar.")
    if not Path(database).is_file():
        raise BackupError(f"No existe la base de datos SQLite {database}.")
    source = sqlite3.connect(database, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # all pages in one step: one consistent snapshot, WAL content included
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        problem = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if problem != "ok":
            raise BackupError(f"La copia no pasó la verificación de integridad de SQLite: {problem}")
    finally:
        copy.close()
        source.close()


def _postgresql(url, partial: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("No se encontró pg_dump (instale el cliente de PostgreSQL de la misma versión que el "
                          "servidor).")
    env = config.child_environment()
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # never on the command line, where other users could read it
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run([pg_dump, "--format=custom", f"--file={partial}", f"--dbname={libpq}"],
                            env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"pg_dump terminó con error: {result.stderr.strip()[:2000]}")
