"""Fixtures for MEF's execution import: CSV files in MEF's layout, built in the test."""
from __future__ import annotations

from tests.projects.conftest import make_project, oxi  # noqa: F401  (fixtures shared with the OxI tests)

HEADERS = ["ANO_EJE", "MES_EJE", "NIVEL_GOBIERNO_NOMBRE", "SEC_EJEC", "EJECUTORA_NOMBRE", "TIPO_ACT_PROY",
           "PRODUCTO_PROYECTO", "PRODUCTO_PROYECTO_NOMBRE", "MONTO_PIA", "MONTO_PIM", "MONTO_CERTIFICADO",
           "MONTO_COMPROMETIDO_ANUAL", "MONTO_DEVENGADO", "MONTO_GIRADO"]


def mef_row(cui, year=2026, month=1, *, pia="0", pim="0", cert="0", comp="0", dev="0", gir="0", kind="2",
            executor="GOBIERNO REGIONAL LA LIBERTAD-SEDE CENTRAL", level="GOBIERNOS REGIONALES"):
    return [year, month, level, "000862", executor, kind, cui, "MEJORAMIENTO DEL SERVICIO DE SEGURIDAD", pia, pim,
            cert, comp, dev, gir]


def mef_csv(rows, *, headers=HEADERS, delimiter=",", encoding="utf-8") -> bytes:
    lines = [delimiter.join(str(h) for h in headers)]
    lines += [delimiter.join("" if v is None else str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
