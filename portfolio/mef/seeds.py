"""Demo data of MEF's execution: ``seeds/demo_mef_ejecucion.csv``, a small file in the column layout of MEF's
open data «Presupuesto y ejecución de gasto» (every column of the real file, a row per month, executing unit,
source of funds and expense line), imported through the same import as the staff page and ``flask mef
importar`` (``imports.services.stage_stream`` then ``apply``, in the demo staff user's name). It covers three
demo projects (2025 and 2026, through MES_EJE 10), CUIs that are not in the portfolio and activity rows, both
of which the import lists and skips.

Idempotent: a file already applied is recognised by its SHA-256 and nothing is staged again, so ``make run``
adds no MEF version the second time. Only ``load_demo``: production never has this file's figures.
"""
from __future__ import annotations

from sqlalchemy import select

from portfolio import db
from portfolio.seeding import SEEDS

DEMO_FILE = "demo_mef_ejecucion.csv"


def load_demo() -> dict[str, int]:
    from portfolio.auth.models import User
    from portfolio.imports import services

    staff = db.session.scalar(select(User).where(User.email == "staff@demo.pe"))
    if staff is None:
        raise LookupError("seed user not found: staff@demo.pe")
    with open(SEEDS / DEMO_FILE, "rb") as stream:
        staged = services.stage_stream(kind=services.get_kind("mef-ejecucion"), stream=stream, filename=DEMO_FILE,
                                       actor=staff)
    if staged.errors:
        raise ValueError(f"{DEMO_FILE}: {staged.errors[0].message}")
    if staged.already is not None or staged.batch is None:
        return {"años de ejecución MEF demo": 0}
    applied = services.apply(batch_id=staged.batch.id, actor=staff)
    db.session.flush()
    return {"años de ejecución MEF demo": sum(applied.values())}
