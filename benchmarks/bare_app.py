"""The yardstick of ``benchmarks/pages.py``: a bare Flask + Jinja page that renders a 50-row table.

    .venv/bin/gunicorn --workers 2 'benchmarks.bare_app:app'

No database, no login, no extensions: what Flask, Jinja and gunicorn cost on this machine, measured in the
same run as the real pages so that only the ratio counts.
"""
from __future__ import annotations

from flask import Flask, render_template_string

app = Flask(__name__)

ROWS = [{"id": i, "name": f"Proyecto de seguridad ciudadana {i:03d}", "entity": "Municipalidad Provincial de Trujillo",
         "stage": "En ejecución", "amount": f"S/\u00a0{1_250_000 + i * 1000:,}.00"} for i in range(50)]

PAGE = """<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Proyectos</title></head>
<body><main><h1>Proyectos</h1>
<table><thead><tr><th>N.º</th><th>Proyecto</th><th>Entidad</th><th>Etapa</th><th>Monto</th></tr></thead>
<tbody>{% for row in rows %}<tr><td>{{ row.id }}</td><td><a href="/proyectos/{{ row.id }}">{{ row.name }}</a></td>
<td>{{ row.entity }}</td><td>{{ row.stage }}</td><td>{{ row.amount }}</td></tr>{% endfor %}</tbody></table>
</main></body></html>"""


@app.route("/")
def table():
    return render_template_string(PAGE, rows=ROWS)
