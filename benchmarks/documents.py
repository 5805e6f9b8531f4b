"""Upload throughput of the expediente: stage (copy + SHA-256), read the format from the content (sniff), store,
insert the rows and commit — the same path as the upload page — for files of several sizes and formats.

    .venv/bin/python benchmarks/documents.py [sqlite|postgresql]

Creates a throw-away database and a store in a temporary folder, uploads a bounded number of files of each
kind (new content each time), then the same content again (deduplicated: no second copy), and prints files/s,
MB/s and each step's share of the time: stage (copy + hash), sniff (format and hostile-content checks, timed
alone) and rest (the service: owner and type rules, the second sniff every door runs, writing the content with
fsync, the rows, the commit).
"""
from __future__ import annotations

import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portfolio import create_app, db, migrate, seeding  # noqa: E402
from portfolio.documents import services  # noqa: E402
from portfolio.documents.sniff import Limits, identify  # noqa: E402
from portfolio.documents.storage import LocalStore, stage  # noqa: E402
from portfolio.projects.models import Project  # noqa: E402

LIMITS = Limits(max_bytes=20 * 1024 * 1024)


class Staff:
    id = None
    role = "staff"
    email = name = "benchmark@pruebas.pe"
    is_authenticated = is_active = active = True
    company_id = None


def pdf(size: int) -> bytes:
    import pikepdf

    doc = pikepdf.new()
    doc.add_blank_page(page_size=(595, 842))
    # an image-like stream of random bytes (incompressible, like a scan), so the file is about ``size`` bytes
    doc.Root.Extra = doc.make_stream(os.urandom(max(size - 1000, 10)))
    out = io.BytesIO()
    doc.save(out, compress_streams=False)
    return out.getvalue()


def xlsx(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/media/image1.png", os.urandom(size))
    return out.getvalue()


KINDS = [("PDF 50 kB", lambda: pdf(50_000), "f.pdf", 60), ("PDF 1 MB", lambda: pdf(1_000_000), "f.pdf", 30),
         ("PDF 8 MB", lambda: pdf(8_000_000), "f.pdf", 6), ("XLSX 1 MB", lambda: xlsx(1_000_000), "f.xlsx", 20)]


def main(which: str = "sqlite") -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-docs-"))
    if which == "postgresql":
        from tests.conftest import create_pg_database

        url = create_pg_database("portfolio_bench_docs")
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "DEMO_DATA": False, "ENV_MODE": "testing"})
    store = LocalStore(tmp / "almacen")
    with app.app_context():
        seeding.load_reference()
        db.session.commit()
        project_id = db.session.query(Project.id).first()[0]
        print(f"database: {which}; store: local folder {store.root}")
        print(f"{'kind':<11} {'files':>5} {'files/s':>8} {'MB/s':>7} {'stage':>6} {'sniff':>6} {'rest':>6}"
              f" {'dedup files/s':>14}")
        for label, make, name, count in KINDS:
            blobs = [make() for _ in range(count)]
            total = sum(map(len, blobs))
            times, stage_t, sniff_t = [], [], []
            for data in blobs:
                started = time.perf_counter()
                item = stage(io.BytesIO(data), store.staging(), LIMITS.max_bytes)
                staged_at = time.perf_counter()
                identify(item.path, name, LIMITS)  # timed alone; upload() sniffs again, as every door does
                sniffed_at = time.perf_counter()
                services.upload(owner_kind="project", owner_id=project_id, doc_type="otro", staged=item,
                                filename=name, store=store, actor=Staff(), limits=LIMITS)
                db.session.commit()
                item.discard()
                ended = time.perf_counter()
                times.append(ended - started - (sniffed_at - staged_at))
                stage_t.append(staged_at - started)
                sniff_t.append(sniffed_at - staged_at)
            elapsed = sum(times)
            dedup_started = time.perf_counter()
            for data in blobs[: min(count, 10)]:
                item = stage(io.BytesIO(data), store.staging(), LIMITS.max_bytes)
                done = services.upload(owner_kind="project", owner_id=project_id, doc_type="otro", staged=item,
                                       filename=name, store=store, actor=Staff(), limits=LIMITS)
                db.session.commit()
                item.discard()
                assert done.deduplicated
            dedup_rate = min(count, 10) / (time.perf_counter() - dedup_started)
            print(f"{label:<11} {count:>5} {count / elapsed:>8.1f} {total / elapsed / 1e6:>7.1f}"
                  f" {sum(stage_t) / elapsed:>6.0%} {sum(sniff_t) / elapsed:>6.0%}"
                  f" {1 - (sum(stage_t) + sum(sniff_t)) / elapsed:>6.0%} {dedup_rate:>14.1f}")
            print(f"{'':<11} median upload {statistics.median(times) * 1000:.0f} ms")
        stored = sum(1 for p in store.root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(store.root).parts)
        print(f"contents stored: {stored} (each new file once; the repeated uploads added none)")
    app.extensions["portfolio_db"]["engine"].dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    if which == "postgresql":
        from tests.conftest import drop_pg_database

        drop_pg_database(url)


if __name__ == "__main__":
    main(*(sys.argv[1:2] or ["sqlite"]))
