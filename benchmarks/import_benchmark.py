"""Import benchmark: validate + preview 10,000 payroll declaration rows vs ``pandas.read_excel`` of the same file.

    .venv/bin/python benchmarks/import_benchmark.py [--rows 10000] [--repeat 3]

Builds a throw-away SQLite database (migrated, reference data, 420 companies), writes an .xlsx with the
declarations sheet (420 companies × 24 months, 10,000 rows), then times, best of ``--repeat``:

- ours: read the upload (type by content, streaming openpyxl), parse every cell (Peruvian formats), plan
  against the database (existing declarations, amounts due) and render the preview page;
- pandas: ``pandas.read_excel(file, sheet_name="Declaraciones")`` (openpyxl engine) — reading only.

Prints both figures and the ratio (target ≤ 3×). The rows are planned with a non-company user, for whom
any registered RUC is acceptable (a company user may only use its own RUC, i.e. ≤ a few dozen months).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_file(rucs: list[str], rows: int) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet("Declaraciones")
    sheet.write_row(0, 0, ["RUC", "Periodo", "Planilla bruta", "Número de trabajadores"])
    months = [dt.date(2024 + i // 12, i % 12 + 1, 1) for i in range(24)]
    for i in range(rows):
        ruc, month = rucs[i // 24], months[i % 24]
        payroll = f"S/ {1_000_000 + (i * 7919) % 900_000:,}.{i % 100:02d}"
        sheet.write_row(i + 1, 0, [ruc, month.strftime("%m/%Y"), payroll, 10 + i % 500])
    book.close()
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pandas
    from flask import render_template
    from stdnum.pe import ruc as ruc_number

    from portfolio import create_app, db, migrate, seeding
    from portfolio.auth.models import User
    from portfolio.imports import services
    from portfolio.orgs.models import Company

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "DEMO_DATA": False, "SERVER_NAME": "localhost",
                          "IMPORT_MAX_ROWS": max(20_000, args.rows)})
        with app.app_context():
            seeding.load_reference()
            companies = (args.rows + 23) // 24
            rucs = []
            for n in range(companies):
                base = f"20{70_000_000 + n:08d}"
                rucs.append(base + ruc_number.calc_check_digit(base))
                db.session.add(Company(ruc=rucs[-1], legal_name=f"Empresa {n} S.A.C.", sector="mineria"))
            trustee = User(email="bench@prueba.pe", name="Bench", role="trustee", password_hash="!", active=True,
                           session_token="x")
            db.session.add(trustee)
            db.session.commit()
            data = build_file(rucs, args.rows)
            kind = services.get_kind("declaraciones")

            ours, pandas_times = [], []
            for _ in range(args.repeat):
                start = time.perf_counter()
                file_type, rows, plan = services.read_and_plan(kind, data, trustee)
                staged = services.Staged(kind=kind, filename="bench.xlsx", file_type=file_type, plan=plan,
                                         row_count=len(rows))
                with app.test_request_context("/importar/declaraciones/"):
                    html = render_template("imports/preview.html", kind=kind, staged=staged, plan=plan, batch=None,
                                           limit=500)
                ours.append(time.perf_counter() - start)
                db.session.rollback()
                assert not plan.errors, plan.errors[:3]
                assert len(rows) == args.rows and plan.counts()["crear"] == args.rows and "Se declarará" in html

                start = time.perf_counter()
                frame = pandas.read_excel(io.BytesIO(data), sheet_name="Declaraciones")
                pandas_times.append(time.perf_counter() - start)
                assert len(frame) == args.rows

    best_ours, best_pandas = min(ours), min(pandas_times)
    print(f"rows: {args.rows:,}  file: {len(data) / 1024:.0f} KiB  (best of {args.repeat})")
    print(f"ours  (read + validate + plan + preview page): {best_ours:.3f} s")
    print(f"pandas.read_excel (read only):                 {best_pandas:.3f} s")
    print(f"ratio ours / pandas: {best_ours / best_pandas:.2f}×  (target ≤ 3×)")


if __name__ == "__main__":
    main()
