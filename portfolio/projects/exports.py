"""Excel export of the project list (what the list shows, with the same filters and company scope)."""
from __future__ import annotations

import io
from decimal import Decimal

import xlsxwriter

from portfolio.orgs import ubigeo
from portfolio.projects import stages
from portfolio.projects.models import SECTORS

MONEY_FORMAT = '"S/ "#,##0.00'
MAX_ROWS = 20000
COLUMNS = [
    ("CUI", 10), ("Proyecto", 60), ("Entidad", 36), ("Nivel de gobierno", 20), ("Certificado", 11), ("Etapa", 22),
    ("Función", 28), ("Ubicación", 40), ("Empresas financistas (participación)", 48), ("Asistencia ProInversión", 12),
    ("Monto referencial", 18), ("Monto adjudicado", 18), ("Convenio vigente", 18), ("Datos demo", 10),
]


def projects_xlsx(projects) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Proyectos OxI")
    header = book.add_format({"bold": True, "bg_color": "#0B3D62", "font_color": "#FFFFFF", "text_wrap": True})
    money = book.add_format({"num_format": MONEY_FORMAT})
    for col, (title, width) in enumerate(COLUMNS):
        sheet.write_string(0, col, title, header)
        sheet.set_column(col, col, width, money if col >= 10 and col <= 12 else None)
    for row, p in enumerate(projects, start=1):
        places = "; ".join(ubigeo.describe(code) for code in p.location_codes)
        if p.multidepartmental:
            places = "Multidepartamental" + (f"; {places}" if places else "")
        values = [p.cui or "", p.name, p.entity.name, p.entity.level_label, p.certificate_type,
                  stages.label(p.stage), SECTORS.get(p.sector, p.sector), places,
                  "; ".join(f"{m.company.legal_name} ({m.share} %)" for m in p.members),
                  "Sí" if p.proinversion_assisted else "No"]
        for col, value in enumerate(values):
            sheet.write_string(row, col, value)
        amounts = [p.reference_amount, p.awarded_amount, p.current_convenio_amount if p.awarded_amount else None]
        for offset, amount in enumerate(amounts):
            if isinstance(amount, Decimal):
                sheet.write_number(row, 10 + offset, amount, money)  # Decimal written as is, never float()
            else:
                sheet.write_blank(row, 10 + offset, None, money)
        sheet.write_string(row, 13, "Sí" if p.is_demo else "No")
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(1, len(projects)), len(COLUMNS) - 1)
    book.close()
    return buffer.getvalue()
