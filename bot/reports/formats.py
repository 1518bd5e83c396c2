"""Each export of a report: Markdown a person reads, CSV for an analyst (one row per
consultation), JSON for tools (docs/report.schema.json), a self-contained HTML page with its
charts (readable offline: no outside asset), and a PDF of the same for a funder's file."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from bot.reports import charts
from bot.reports.content import Section, heading, sections
from flows.reports.rows import COLUMNS

FORMATS = ("md", "csv", "json", "html", "pdf")


def to_json(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()


def to_markdown(doc: dict[str, Any], lang: str) -> bytes:
    title, period, note = heading(doc, lang)
    out = [f"# {title}", "", period, "", f"_{note}_", ""]
    for s in sections(doc, lang):
        out += [f"## {s.title}", ""]
        if s.headers:
            out.append("| " + " | ".join(_md(h) for h in s.headers) + " |")
            out.append("|" + "|".join("---" for _ in s.headers) + "|")
            out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in s.rows]
            out.append("")
        out += [*(f"_{n}_" for n in s.notes), ""] if s.notes else []
    return ("\n".join(out).rstrip() + "\n").encode()


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def to_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(map(itemgetter(*COLUMNS), rows))  # in C: DictWriter's own loop was slower
    return out.getvalue().encode()


_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:60rem;padding:0 1rem;color:#1d2329}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;
border-bottom:1px solid #d6dce1;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d6dce1;
padding:.25rem .6rem;text-align:left}td:not(:first-child){text-align:right}
th{background:#eef2f5}.note{color:#4a5560;font-size:.9rem}img.chart{max-width:100%;
display:block;margin:.6rem 0}
"""


def to_html(doc: dict[str, Any], lang: str) -> bytes:
    title, period, note = heading(doc, lang)
    e = html.escape
    parts = [
        "<!doctype html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{e(title)} {e(doc['period']['from'])} – {e(doc['period']['to'])}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1><p>{e(period)}</p><p class=note>{e(note)}</p>",
    ]
    for s in sections(doc, lang):
        parts.append(f"<section><h2>{e(s.title)}</h2>")
        if s.chart:
            data = base64.b64encode(charts.png(s.chart, doc, lang)).decode()
            parts.append(
                f'<img class=chart id="chart-{s.chart}" alt="{e(s.title)}" '
                f'src="data:image/png;base64,{data}">'
            )
        parts.append(_table(s))
        parts += [f"<p class=note>{e(n)}</p>" for n in s.notes]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts).encode()


def _table(s: Section) -> str:
    if not s.headers:
        return ""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in s.headers)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in s.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_pdf(doc: dict[str, Any], lang: str) -> bytes:
    """The same sections and charts on A4 pages (fpdf2 with its core fonts, which hold
    Latin-1: all that French and English need)."""
    from fpdf import FPDF

    title, period, note = heading(doc, lang)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, _latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, _latin(period), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, _latin(note), new_x="LMARGIN", new_y="NEXT")
    for s in sections(doc, lang):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, _latin(s.title), new_x="LMARGIN", new_y="NEXT")
        if s.chart:
            pdf.image(io.BytesIO(charts.png(s.chart, doc, lang)), w=170)
        if s.headers:
            _pdf_table(
                pdf, [_latin(h) for h in s.headers], [[_latin(c) for c in r] for r in s.rows]
            )
        pdf.set_font("Helvetica", "I", 8)
        for n in s.notes:
            pdf.multi_cell(0, 4, _latin(n), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


_ROW_H, _HEAD_LINE_H, _PAD = 4.5, 3.6, 1.2  # millimetres


def _width(pdf: Any, text: str) -> float:
    """A text's width in the current core font, in millimetres: the font's character widths
    summed (what fpdf2's get_string_width does after a bidirectional-text pass that these
    Latin-1 strings do not need, and that was most of the table's time)."""
    return float(pdf.current_font.get_text_width(text, pdf.font_size_pt, None)[1]) / pdf.k


def _pdf_table(pdf: Any, headers: list[str], rows: list[list[str]]) -> None:
    """A ruled table, the header repeated on each new page: columns as wide as their longest
    value (or the longest word of their header), narrowed to the page if need be; values
    written with the PDF's plain text operator and the rules drawn as lines per page. fpdf2's
    own `table()` (and its `cell()`) lays out every cell as styled, breakable text: about a
    second for a year's report, where these values are short and only the headers wrap."""
    pdf.set_font("Helvetica", "", 8)
    natural = [max([_width(pdf, r[i]) for r in rows] or [0]) for i in range(len(headers))]
    pdf.set_font("Helvetica", "B", 7.5)
    words = [max(_width(pdf, word) for word in (h.split() or [""])) for h in headers]
    widths = [max(a, b) + 2 * _PAD + 0.5 for a, b in zip(natural, words, strict=True)]
    if sum(widths) > pdf.epw:
        widths = [w * pdf.epw / sum(widths) for w in widths]
    lefts = [pdf.l_margin + sum(widths[:i]) for i in range(len(widths) + 1)]
    head = [pdf.multi_cell(w, _HEAD_LINE_H, h, dry_run=True, output="LINES")
            for w, h in zip(widths, headers, strict=True)]  # fmt: skip
    head_h = max(len(lines) for lines in head) * _HEAD_LINE_H + 1.2

    def header() -> float:
        top = pdf.get_y()
        pdf.set_fill_color(238, 242, 245)
        pdf.rect(lefts[0], top, lefts[-1] - lefts[0], head_h, style="F")
        pdf.set_font("Helvetica", "B", 7.5)
        for x, lines in zip(lefts, head, strict=False):
            for n, line in enumerate(lines):
                pdf.text(x + _PAD, top + 0.6 + (n + 0.78) * _HEAD_LINE_H, line)
        pdf.set_font("Helvetica", "", 8)
        pdf.set_y(top + head_h)
        return top

    def rules(top: float, bottom: float, ys: list[float]) -> None:
        pdf.set_draw_color(190, 198, 205)
        pdf.set_line_width(0.2)
        for y in [top, *ys, bottom]:
            pdf.line(lefts[0], y, lefts[-1], y)
        for x in lefts:
            pdf.line(x, top, x, bottom)

    if pdf.will_page_break(head_h + _ROW_H):
        pdf.add_page()
    top, ys = header(), [pdf.get_y()]
    for row in rows:
        if pdf.will_page_break(_ROW_H):
            rules(top, ys[-1], ys[:-1])
            pdf.add_page()
            top, ys = header(), [pdf.get_y()]
        y = ys[-1]
        for i, text in enumerate(row):
            right = lefts[i + 1] - _PAD - _width(pdf, text)  # numbers to the right
            x = lefts[0] + _PAD if i == 0 else right
            pdf.text(x, y + _ROW_H * 0.72, text)
        ys.append(y + _ROW_H)
        pdf.set_y(y + _ROW_H)
    rules(top, ys[-1], ys[:-1])
    pdf.ln(1)


def _latin(text: str) -> str:
    """The core PDF fonts are Latin-1: typographic marks become their plain forms."""
    plain = text.translate(str.maketrans({"—": "-", "–": "-", "’": "'", "“": '"', "”": '"',
                                          "≤": "<=", "\u202f": " ", "📊": ""}))  # fmt: skip
    return plain.encode("latin-1", "replace").decode("latin-1")
