"""``report.html`` from a ``string.Template``: one self-contained page (styles inline, every image a
``data:image/png;base64`` URI), so it opens from disk, offline, and can be mailed as one file."""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path
from string import Template

from .._io import atomic_write
from .sections import Section, Table

__all__ = ["render", "data_uri", "format_value", "table_html"]

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="latentmix $version">
<title>$title</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d2329;
       background: #f6f7f9; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 1.5em; margin: 0.2em 0; }
h2 { font-size: 1.2em; margin: 0 0 0.6em; }
section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 16px 20px; margin: 16px 0; }
nav a { margin-right: 14px; }
.meta { color: #5a6570; margin: 0.2em 0 0.8em; }
figure { margin: 0 0 14px; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: #4a5560; font-size: 0.92em; margin-top: 4px; }
table { border-collapse: collapse; font-size: 0.92em; }
caption { text-align: left; color: #4a5560; padding-bottom: 4px; }
th, td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid #eef0f2; vertical-align: top; }
td.value { font-variant-numeric: tabular-nums; }
.note { color: #8a5a00; font-size: 0.92em; }
pre { background: #f3f4f6; padding: 8px; overflow-x: auto; font-size: 0.85em; }
footer { color: #7a848e; font-size: 0.85em; padding-bottom: 24px; }
</style>
</head>
<body>
<header>
<h1>$title</h1>
<p class="meta">$meta</p>
<nav>$nav</nav>
</header>
<main>
$sections
</main>
<footer>Written by latentmix $version on $date from the run folder $run. The images are embedded in this page;
the PNG files beside it are the same figures.</footer>
</body>
</html>
""")

SECTION = Template("""<section id="$id">
<h2>$title</h2>
$body
</section>""")

FIGURE = Template("""<figure id="fig-$id" data-rows="$rows">
<img src="$src" alt="$alt">
<figcaption>$caption</figcaption>
</figure>""")


def data_uri(path: Path) -> str:
    """The PNG file as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def format_value(value) -> str:
    """A metric as text: 4 significant digits for floats, JSON for lists and dicts."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def metrics_table(rows: list[tuple[str, str, object]]) -> str:
    """The metrics as an HTML table (source, metric, value)."""
    if not rows:
        return '<p class="note">No metrics yet: run <code>latentmix evaluate RUN</code>, then the report again.</p>'
    body = "\n".join(f"<tr><td>{escape(source)}</td><td>{escape(key)}</td>"
                     f'<td class="value">{escape(format_value(value))}</td></tr>' for source, key, value in rows)
    return (f'<table id="metrics-table" class="metrics">\n<thead><tr><th>source</th><th>metric</th><th>value</th>'
            f"</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>")


def table_html(table: Table) -> str:
    """A :class:`Table` as an HTML table with its caption."""
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = "\n".join("<tr>" + "".join(f'<td class="value">{escape(str(c))}</td>' for c in row) + "</tr>"
                     for row in table.rows)
    return (f'<table class="summary">\n<caption>{escape(table.caption)}</caption>\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody>\n</table>")


def _section_html(section: Section) -> str:
    parts = [table_html(t) for t in section.tables]
    parts += [FIGURE.substitute(id=escape(f.path.stem), rows=escape("|".join(f.rows)), src=data_uri(f.path),
                               alt=escape(f.alt), caption=escape(f.caption)) for f in section.figures]
    parts += [f'<p class="note">Note: {escape(n)}.</p>' for n in section.notes]
    return SECTION.substitute(id=escape(section.id), title=escape(section.title), body="\n".join(parts))


def render(path: Path, *, title: str, meta: str, run: str, version: str, date: str, overview: dict,
           metrics: list[tuple[str, str, object]], sections: list[Section], notes: list[str],
           metrics_last: bool = False) -> Path:
    """Write the page: an overview (what was trained, the options asked for), the metrics table,
    then one section per figure group (``metrics_last``: the metrics table after them)."""
    overview_body = "".join(f'<p class="note">Note: {escape(n)}.</p>' for n in notes)
    overview_body += "<table>" + "".join(f"<tr><th>{escape(k)}</th><td>{escape(format_value(v))}</td></tr>"
                                         for k, v in overview.items() if k != "options") + "</table>"
    if overview.get("options"):
        overview_body += ("<details><summary>options asked for</summary><pre>"
                          f"{escape(json.dumps(overview['options'], indent=2))}</pre></details>")
    metrics_block = SECTION.substitute(id="metrics", title="Metrics", body=metrics_table(metrics))
    blocks = [SECTION.substitute(id="overview", title="Run", body=overview_body)]
    blocks += [_section_html(s) for s in sections]
    blocks.insert(len(blocks) if metrics_last else 1, metrics_block)
    links = [(s.id, s.title) for s in sections]
    links.insert(len(links) if metrics_last else 0, ("metrics", "Metrics"))
    nav = " ".join(f'<a href="#{escape(i)}">{escape(t)}</a>' for i, t in links)
    page = PAGE.substitute(title=escape(title), meta=escape(meta), nav=nav, sections="\n".join(blocks),
                           version=escape(version), date=escape(date), run=escape(run))
    return atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
