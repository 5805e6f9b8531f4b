"""Writing one sheet: a streamed table (header, rows, SUBTOTAL totals) or a summary (blocks, charts)."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from xlsxwriter.utility import xl_col_to_name

from portfolio.exports.xlsx.cells import CellWriter, column_writer, formula_templates, text_width
from portfolio.exports.xlsx.spec import (
    DEFAULT_WIDTHS,
    MAX_TEXT_WIDTH,
    PROGRESS_EVERY,
    WIDTH_SAMPLE_ROWS,
    SpecError,
    Summary,
    Table,
    WorkbookResult,
    sheet_name,
)


def write_table(book, writer: CellWriter, table: Table, result: WorkbookResult,
                 progress: Callable[[int], None] | None, done_before: int) -> int:
    columns = list(table.columns)
    if not columns:
        raise SpecError(f"table {table.name!r} has no columns")
    name = sheet_name(table.name)
    sheet = book.add_worksheet(name)
    formats = writer.formats
    templates = formula_templates(columns)
    ncols = len(columns)

    widths = [max(len(c.header) + 2, DEFAULT_WIDTHS.get(c.kind, 10)) for c in columns]
    for col, column in enumerate(columns):
        writer.text(sheet, 0, col, column.header, formats.header)
    sheet.freeze_panes(1, 0)

    cells = list(enumerate(column_writer(sheet, writer, c, templates.get(i)) for i, c in enumerate(columns)))
    total_cols = [i for i, c in enumerate(columns) if c.total]
    sums: dict[int, Decimal | int] = {i: 0 for i in total_cols}
    sampled = [i for i, c in enumerate(columns) if c.kind == "text" and c.width is None]
    row_index = 0
    for row_index, values in enumerate(table.rows, start=1):
        if len(values) != ncols:
            raise SpecError(f"{name}: row {row_index} has {len(values)} values for {ncols} columns")
        for col, write in cells:
            write(row_index, col, values[col])
        for col in total_cols:
            value = values[col]
            if value is not None:
                sums[col] += value
        if row_index <= WIDTH_SAMPLE_ROWS:
            for col in sampled:
                widths[col] = max(widths[col], min(MAX_TEXT_WIDTH, text_width(values[col]) + 2))
        if progress is not None and row_index % PROGRESS_EVERY == 0:
            progress(done_before + row_index)

    data_rows = row_index
    if data_rows == 0:
        writer.text(sheet, 1, 0, table.empty_message)
    else:
        sheet.autofilter(0, 0, data_rows, ncols - 1)
        if sums:
            total_row = data_rows + 1
            for col, column in enumerate(columns):
                if col in sums:
                    letter = xl_col_to_name(col)
                    sheet.write_formula(total_row, col, f"=SUBTOTAL(109,{letter}2:{letter}{data_rows + 1})",
                                        formats.total_by_kind[column.kind], sums[col])
                elif col == 0:
                    writer.text(sheet, total_row, col, table.totals_label, formats.total_label)
                else:
                    sheet.write_blank(total_row, col, None, formats.total_blank)
    for col, column in enumerate(columns):
        sheet.set_column(col, col, column.width or widths[col])
    result.rows[name] = data_rows
    result.totals[name] = {columns[i].key: total for i, total in sums.items()}
    if progress is not None:
        progress(done_before + data_rows)
    return data_rows


def write_summary(book, writer: CellWriter, summary: Summary, result: WorkbookResult) -> None:
    name = sheet_name(summary.name)
    sheet = book.add_worksheet(name)
    formats = writer.formats
    row = 0
    max_cols = 2
    if summary.heading:
        writer.text(sheet, row, 0, summary.heading, formats.title)
        row += 2
    for label, value in summary.lines:
        writer.text(sheet, row, 0, label, formats.label)
        writer.any_value(sheet, row, 1, value)
        row += 1
    if summary.lines:
        row += 1
    positions: list[tuple[int, int, int]] = []  # (header row, first data row, last data row) per block
    for block in summary.blocks:
        columns = list(block.columns)
        max_cols = max(max_cols, len(columns))
        templates = formula_templates(columns)
        writer.text(sheet, row, 0, block.title, formats.title)
        row += 1
        header_row = row
        for col, column in enumerate(columns):
            writer.text(sheet, row, col, column.header, formats.header)
        row += 1
        first = row
        sums = {i: 0 for i, c in enumerate(columns) if c.total}
        for values in block.rows:
            for col, column in enumerate(columns):
                value = values[col]
                if col in templates:
                    sheet.write_formula(row, col, "=" + templates[col].format(r=row + 1),
                                        formats.by_kind.get(column.kind, formats.text),
                                        value if value is not None else 0)
                else:
                    writer.cell(sheet, row, col, column, value)
                if col in sums and value is not None:
                    sums[col] += value
            row += 1
        last = row - 1
        if not block.rows:
            writer.text(sheet, row, 0, "Sin datos.")
            row += 1
        elif block.totals and sums:
            for col, column in enumerate(columns):
                if col in sums:
                    letter = xl_col_to_name(col)
                    sheet.write_formula(row, col, f"=SUBTOTAL(109,{letter}{first + 1}:{letter}{last + 1})",
                                        formats.total_by_kind[column.kind], sums[col])
                elif col == 0:
                    writer.text(sheet, row, col, "Total", formats.total_label)
            row += 1
        positions.append((header_row, first, last))
        row += 1
    sheet.set_column(0, 0, 42)
    sheet.set_column(1, max_cols, 18)
    chart_row = 1
    for chart_spec in summary.charts:
        block = summary.blocks[chart_spec.block]
        header_row, first, last = positions[chart_spec.block]
        if not block.rows:
            continue
        keys = [c.key for c in block.columns]
        chart = book.add_chart({"type": chart_spec.kind})
        cat_col = keys.index(chart_spec.categories)
        for value_key in chart_spec.values:
            val_col = keys.index(value_key)
            series = {
                "name": [name, header_row, val_col],
                "categories": [name, first, cat_col, last, cat_col],
                "values": [name, first, val_col, last, val_col],
            }
            if chart_spec.kind == "pie":
                series["data_labels"] = {"percentage": True}
            chart.add_series(series)
        chart.set_title({"name": chart_spec.title})
        if chart_spec.kind != "pie":
            money = all(block.columns[keys.index(k)].kind == "money" for k in chart_spec.values)
            axis = {"name": chart_spec.y_title} if chart_spec.y_title else {}
            if money:
                axis["num_format"] = '"S/ "#,##0'
            # the value axis is the horizontal one in a bar chart, the vertical one otherwise
            (chart.set_x_axis if chart_spec.kind == "bar" else chart.set_y_axis)(axis)
        chart.set_legend({"position": "bottom"})
        sheet.insert_chart(chart_row, max_cols + 2, chart, {"x_scale": 1.3, "y_scale": 1.1})
        chart_row += 18
    result.rows[name] = sum(len(b.rows) for b in summary.blocks)
