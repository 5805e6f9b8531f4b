"""MEF execution CSV: one streamed pass over a generated national-size file.

    PYTHONPATH=$PWD /work/main/.venv/bin/python benchmarks/mef_execution.py [--rows 2000000] [--projects 50]

Writes a temporary CSV in MEF's layout (14 columns, Latin-1, monthly rows: ~5 % of rows for the portfolio's
CUIs, the rest for 40,000 other CUIs and activities), then times ``portfolio.mef.reader.read`` over it and
prints seconds, rows per second, the file size and the process's peak resident memory (``ru_maxrss``) before
and after the pass next to the file size: the ratio shows the file is never held in memory.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time

from portfolio.mef import reader

HEADER = ("ANO_EJE,MES_EJE,NIVEL_GOBIERNO_NOMBRE,SEC_EJEC,EJECUTORA_NOMBRE,TIPO_ACT_PROY,PRODUCTO_PROYECTO,"
          "PRODUCTO_PROYECTO_NOMBRE,MONTO_PIA,MONTO_PIM,MONTO_CERTIFICADO,MONTO_COMPROMETIDO_ANUAL,MONTO_DEVENGADO,"
          "MONTO_GIRADO\r\n")


def generate(path: str, rows: int, ours: list[str], seed: int = 16) -> None:
    rng = random.Random(seed)
    others = [f"{2_000_000 + i * 7:07d}" for i in range(40_000)]
    with open(path, "w", encoding="latin-1", newline="") as out:
        out.write(HEADER)
        buffer = []
        for n in range(rows):
            month = n % 12 + 1
            pick = rng.random()
            if pick < 0.05:
                cui, kind = rng.choice(ours), "2"
            elif pick < 0.70:
                cui, kind = rng.choice(others), "2"
            else:
                cui, kind = f"3{rng.randrange(10**6):06d}", "3"
            pim = rng.randrange(0, 10**9)
            dev = rng.randrange(0, 10**7)
            buffer.append(f"2026,{month},GOBIERNOS REGIONALES,{n % 2000:06d},EJECUTORA N.° {n % 2000} - SEÑAL,{kind},"
                          f"{cui},PROYECTO DE INVERSIÓN {cui},{pim // 100}.00,{pim // 100}.{pim % 100:02d},"
                          f"{pim // 200}.50,{pim // 300}.00,{dev // 100}.{dev % 100:02d},{dev // 200}.00\r\n")
            if len(buffer) == 10_000:
                out.write("".join(buffer))
                buffer.clear()
        out.write("".join(buffer))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--projects", type=int, default=50)
    args = parser.parse_args()
    ours = [f"{2_500_000 + i:07d}" for i in range(args.projects)]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "2026-Gasto.csv")
        started = time.perf_counter()
        generate(path, args.rows, ours)
        generated = time.perf_counter() - started
        size = os.path.getsize(path)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        started = time.perf_counter()
        with open(path, "rb") as stream:
            result = reader.read(stream, wanted=ours)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"file: {args.rows:,} rows, {size / 1048576:.1f} MB (generated in {generated:.1f} s)")
    print(f"read: {seconds:.1f} s ({args.rows / seconds:,.0f} rows/s)")
    print(f"peak resident memory: {before / 1048576:.1f} MB before the pass, {peak / 1048576:.1f} MB after "
          f"(+{(peak - before) / 1048576:.1f} MB = {(peak - before) / size:.1%} of the file size)")
    print(f"aggregated: {len(result.figures)} (CUI, year) of the portfolio, {len(result.unknown):,} other CUIs, "
          f"{result.skipped_activities:,} activity rows skipped, {result.error_count} errors")


if __name__ == "__main__":
    main()
