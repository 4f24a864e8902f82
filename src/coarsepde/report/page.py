"""``results/report.html``: one self-contained page a reader can check offline.

First the claims table (every row of ``claims.csv``, coloured by verdict, with the verdict counts), then
one section per artifact: the figure (PNG embedded as a data URI) or the table (Markdown rendered), the
report caption beside it, the artifact's claim rows, and the path that built it (rule -> script ->
package names, and the script's import closure). CSS is inline; the page loads nothing.
"""

from __future__ import annotations

import base64
import csv
import html
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from .markup import inline, markdown_to_html, rst_to_html
from .sources import Artifact, artifact_claim_ids

__all__ = ["VERDICT_COLOURS", "read_claims", "render_report", "write_report"]

#: verdict -> colour of its badge and row stripe (green, orange, blue-grey, red; grey for anything else).
VERDICT_COLOURS = {
    "reproduced": "#2e7d32",
    "refuted": "#e65100",
    "not-reached": "#546e7a",
    "unexplained": "#c62828",
}
OTHER_COLOUR = "#9e9e9e"

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;font-size:14px;color:#212121;
 margin:0 auto;max-width:1500px;padding:0 24px 48px;line-height:1.4}
h1{font-size:24px;margin:24px 0 4px}h2{font-size:19px;margin:0 0 6px}h3{font-size:15px;margin:14px 0 6px}
h4,h5,h6{font-size:14px;margin:10px 0 4px}
.meta{color:#616161;margin:0 0 12px}
.counts span{display:inline-block;margin:0 8px 6px 0;padding:3px 10px;border-radius:12px;color:#fff;font-weight:600}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;white-space:nowrap}
table{border-collapse:collapse}
table.claims{width:100%;font-size:12.5px}
table.claims th,table.claims td{border-bottom:1px solid #e0e0e0;padding:4px 6px;vertical-align:top;text-align:left}
table.claims th{background:#f5f5f5;position:sticky;top:0}
table.claims td.id{white-space:nowrap;font-family:ui-monospace,Menlo,Consolas,monospace}
table.claims td.num{max-width:320px;min-width:180px;overflow-wrap:anywhere}
table.claims td.ev{max-width:420px;min-width:160px;overflow-wrap:anywhere}
table.claims td.text{max-width:420px;min-width:300px}
table.claims details summary{color:#212121}
table.claims details[open] summary span{display:none}
tr.claim td:first-child{border-left:5px solid var(--v)}
table.md{font-size:12.5px;margin:6px 0}
table.md th,table.md td{border:1px solid #e0e0e0;padding:3px 6px;vertical-align:top}
table.md th{background:#f5f5f5}
.scroll{overflow-x:auto;max-width:100%}
section.artifact{border-top:2px solid #bdbdbd;padding-top:16px;margin-top:28px}
.category{color:#616161;font-weight:normal;font-size:14px}
.pair{display:grid;grid-template-columns:minmax(0,3fr) minmax(280px,2fr);gap:20px;align-items:start}
.pair img{max-width:100%;height:auto;border:1px solid #eee}
.caption{background:#fafafa;border-left:3px solid #90a4ae;padding:4px 12px;font-size:13px}
.caption p{margin:6px 0}
.build{font-size:12.5px;background:#f5f7fa;border:1px solid #e3e8ef;padding:6px 10px;border-radius:4px}
.build code,.claims code{font-size:12px}
.build ul{margin:2px 0 2px 18px;padding:0}
code{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f2f2f2;padding:0 3px;border-radius:3px}
nav ul{columns:3;font-size:13px}
details summary{cursor:pointer;color:#37474f}
.missing{color:#c62828}
"""


def read_claims(path: str | Path) -> list[dict[str, str]]:
    """The rows of claims.csv as dictionaries of strings (a column the file lacks reads as "")."""
    with open(path, newline="") as fh:
        return [{k: (v or "") for k, v in row.items()} for row in csv.DictReader(fh)]


def _colour(verdict: str) -> str:
    return VERDICT_COLOURS.get(verdict, OTHER_COLOUR)


def _badge(verdict: str) -> str:
    return f'<span class="badge" style="background:{_colour(verdict)}">{html.escape(verdict or "none")}</span>'


def _anchor(text: str) -> str:
    return "a-" + re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


#: cells of the claims table longer than this show their start and open on a click
FOLD = 260


def _cell(text: str, fold: bool) -> str:
    if not fold or len(text) <= FOLD:
        return inline(text)
    cut = text.rfind(" ", 0, FOLD)
    head, rest = text[: cut if cut > FOLD // 2 else FOLD], text[cut if cut > FOLD // 2 else FOLD :]
    return f"<details><summary>{inline(head)}<span> &hellip;</span></summary>{inline(rest)}</details>"


def _claim_rows(rows: Sequence[Mapping[str, str]], links: Mapping[str, str], *, wording: bool) -> str:
    head = ["verdict", "id", "protocol"] + (["claim"] if wording else []) + ["paper", "ours", "tolerance"]
    head += ["evidence", "scale"]
    out = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for r in rows:
        v, cid = r.get("verdict", ""), r.get("id", "")
        ident = html.escape(cid)
        if cid in links:
            ident = f'<a href="#{links[cid]}">{ident}</a>'
        cells = [_badge(v), ident, html.escape(r.get("protocol", ""))]
        cells += [inline(r.get("claim", ""))] if wording else []
        fold = not wording  # the top table folds long cells; an artifact's own rows show them whole
        cells += [_cell(r.get(k, ""), fold) for k in ("paper_value", "reproduced_value", "tolerance", "evidence")]
        cells += [html.escape(r.get("scale", ""))]
        classes = ["", "id", "", *(["text"] if wording else []), "num", "num", "", "ev", ""]
        tds = "".join(f'<td class="{c}">{x}</td>' if c else f"<td>{x}</td>" for c, x in zip(classes, cells))
        out.append(
            f'<tr class="claim" style="--v:{_colour(v)}" data-id="{html.escape(cid)}" '
            f'data-verdict="{html.escape(v)}" data-protocol="{html.escape(r.get("protocol", ""))}">{tds}</tr>'
        )
    return '<div class="scroll"><table class="claims">\n' + "\n".join(out) + "\n</table></div>"


def _counts(rows: Sequence[Mapping[str, str]]) -> str:
    counts = Counter(r.get("verdict", "") for r in rows)
    order = list(VERDICT_COLOURS) + sorted(set(counts) - set(VERDICT_COLOURS))
    chips = "".join(
        f'<span style="background:{_colour(v)}">{html.escape(v or "no verdict")}: {counts[v]}</span>'
        for v in order
        if counts[v]
    )
    ids = len({r.get("id") for r in rows})
    return f'<p class="counts">{chips}</p><p class="meta">{len(rows)} rows, {ids} claim IDs.</p>'


def _figure(path: Path) -> str:
    if not path.is_file():
        return f'<p class="missing">missing: {html.escape(str(path))}</p>'
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.name)}" src="data:image/png;base64,{data}">'


def _table(path: Path) -> str:
    if not path.is_file():
        return f'<p class="missing">missing: {html.escape(str(path))}</p>'
    return markdown_to_html(path.read_text())


def _build_path(art: Artifact) -> str:
    wc = ", ".join(f"{k}={v}" for k, v in art.wildcards.items())
    rule = f"<code>{html.escape(art.rule)}</code>" + (f" ({html.escape(wc)})" if wc else "")
    script = f"<code>{html.escape(art.script)}</code>" if art.script else "<em>no script</em>"
    by_module: dict[str, list[str]] = {}
    for name in art.entry_points:
        module, _, attr = name.rpartition(".")
        by_module.setdefault(module, []).append(attr)
    funcs = "".join(
        f"<li><code>{html.escape(m)}</code>: " + ", ".join(f"<code>{html.escape(a)}</code>" for a in attrs) + "</li>"
        for m, attrs in by_module.items()
    )
    funcs = funcs or "<li><em>none</em></li>"
    code = "".join(f"<li><code>{html.escape(c)}</code></li>" for c in art.code)
    files = ", ".join(f"<code>{html.escape(f)}</code>" for f in art.files)
    caption = f" Caption: <code>{html.escape(art.caption_file)}</code>." if art.caption_file else ""
    return (
        f'<div class="build"><strong>Built by</strong> rule {rule} &rarr; script {script} &rarr; package:'
        f"<ul>{funcs}</ul>Files: {files}.{caption}"
        f"<details><summary>import closure of the script ({len(art.code)} package files: a change to any of"
        f" them reruns the rule)</summary><ul>{code}</ul></details></div>"
    )


def _section(art: Artifact, rows: Sequence[Mapping[str, str]], root: Path, links: Mapping[str, str]) -> str:
    figures = [f for f in art.files if f.endswith(".png")]
    tables = [f for f in art.files if not f.endswith(".png")]
    body = "".join(f"<div>{_figure(root / f)}</div>" for f in figures)
    named = len(art.files) > 1  # a table beside a figure gets its file name as a heading
    body += "".join(
        f"<div>{f'<h3><code>{html.escape(Path(f).name)}</code></h3>' if named else ''}{_table(root / f)}</div>"
        for f in tables
    )
    caption = rst_to_html(art.caption) if art.caption.strip() else "<p><em>No report caption.</em></p>"
    caption = f'<div class="caption">{caption}</div>'
    # a figure with its caption beside it; a (wide) table under its caption
    pair = f'<div class="pair"><div>{body}</div>{caption}</div>' if figures else f"{caption}<div>{body}</div>"
    claims = (
        f"<h3>Claims ({len(rows)} rows)</h3>" + _claim_rows(rows, links, wording=True)
        if rows
        else "<p><em>No claim is scored on this artifact.</em></p>"
    )
    category = f' <span class="category">{html.escape(art.category)}</span>' if art.category else ""
    return (
        f'<section class="artifact" id="{_anchor(art.title)}"><h2>{html.escape(art.title)}{category}</h2>'
        f"{pair}"
        f"{claims}{_build_path(art)}</section>"
    )


def render_report(
    claims: Sequence[Mapping[str, str]],
    artifacts: Sequence[Artifact],
    catalogue: Mapping[str, tuple[str, str]],
    *,
    root: str | Path = ".",
    title: str = "coarsepde: claims and artifacts",
    scale: str = "",
) -> str:
    """The report page as a string. ``root``: the folder the artifacts' paths are relative to."""
    root = Path(root)
    ids_of = {a.title: artifact_claim_ids(a, catalogue) for a in artifacts}
    links: dict[str, str] = {}
    for a in artifacts:
        for cid in ids_of[a.title]:
            links.setdefault(cid, _anchor(a.title))
    sections = [_section(a, [r for r in claims if r.get("id") in ids_of[a.title]], root, links) for a in artifacts]
    loose = [r for r in claims if r.get("id") not in links]
    if loose:
        sections.append(
            '<section class="artifact" id="a-other"><h2>Claims without a figure or table</h2>'
            "<p>Measured by their own rules (stores, benchmarks) or from several artifacts.</p>"
            + _claim_rows(loose, {}, wording=True)
            + "</section>"
        )
    nav = "".join(f'<li><a href="#{_anchor(a.title)}">{html.escape(a.title)}</a></li>' for a in artifacts)
    nav += '<li><a href="#a-other">Claims without a figure or table</a></li>' if loose else ""
    scale_text = f" Scale <strong>{html.escape(scale)}</strong>." if scale else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="meta">{len(artifacts)} artifacts, {len(claims)} claim rows.{scale_text} Verdicts as defined in'
        " CLAIMS.md: reproduced (the check passes), refuted (fails, and a measurement shows the paper's statement"
        " does not hold under its own setup), not-reached (fails at this scale's budget), unexplained.</p>\n"
        f'<h2 id="claims">Claims</h2>{_counts(claims)}{_claim_rows(claims, links, wording=False)}\n'
        f"<h2>Artifacts</h2><nav><ul>{nav}</ul></nav>\n" + "\n".join(sections) + "\n</body></html>\n"
    )


def write_report(
    claims_csv: str | Path,
    artifacts: Sequence[Artifact],
    catalogue: Mapping[str, tuple[str, str]],
    output: str | Path,
    **kwargs,
) -> Path:
    """Render the report from ``claims_csv`` and the artifacts and write it (atomically) to ``output``."""
    page = render_report(read_claims(claims_csv), artifacts, catalogue, **kwargs)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(output)
    return output
