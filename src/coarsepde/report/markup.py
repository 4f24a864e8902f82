"""The two light markups of the results as HTML: report captions (reStructuredText as the captions use it)
and the pipeline's Markdown tables.

Only what the project's files use is supported: paragraphs, ``**bold**``, ``*italic*``, literals
(````x```` in captions, ```x``` in Markdown), escaped characters (``\\|``), headings, bullet lists and pipe
tables with alignment rows. Everything else is shown as text, HTML-escaped.
"""

from __future__ import annotations

import html
import re

__all__ = ["rst_to_html", "markdown_to_html", "inline"]

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_RST_LITERAL = re.compile(r"``(.+?)``")
_MD_LITERAL = re.compile(r"`([^`]+)`")
_ESCAPED = re.compile(r"\\(.)")


def inline(text: str, *, rst: bool = False) -> str:
    """One line of text as HTML: escaped, with literals, bold and italics."""
    literal = _RST_LITERAL if rst else _MD_LITERAL
    parts = literal.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # inside a literal: shown as written
            out.append(f"<code>{html.escape(part)}</code>")
            continue
        s = html.escape(_ESCAPED.sub(r"\1", part) if rst else part, quote=False)
        s = _BOLD.sub(r"<strong>\1</strong>", s)
        out.append(_ITALIC.sub(r"<em>\1</em>", s))
    return "".join(out)


def rst_to_html(text: str) -> str:
    """A caption's paragraphs (separated by blank lines) as ``<p>`` elements."""
    paras = [" ".join(line.strip() for line in block.splitlines()) for block in re.split(r"\n\s*\n", text.strip())]
    return "\n".join(f"<p>{inline(p, rst=True)}</p>" for p in paras if p)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table(lines: list[str]) -> str:
    head = _cells(lines[0])
    align = ["left"] * len(head)
    body = lines[1:]
    if body and re.fullmatch(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?", body[0].strip()):
        specs = _cells(body[0])
        align = ["right" if s.endswith(":") and not s.startswith(":") else "left" for s in specs]
        body = body[1:]

    def row(cells: list[str], tag: str) -> str:
        tds = "".join(
            f'<{tag} style="text-align:{align[i] if i < len(align) else "left"}">{inline(c)}</{tag}>'
            for i, c in enumerate(cells)
        )
        return f"<tr>{tds}</tr>"

    rows = "\n".join(row(_cells(line), "td") for line in body)
    return f'<div class="scroll"><table class="md">\n<thead>{row(head, "th")}</thead>\n<tbody>\n{rows}\n</tbody></table></div>'


def markdown_to_html(text: str) -> str:
    """A results Markdown file (headings, bullets, pipe tables, paragraphs) as HTML."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.lstrip().startswith("|"):
            j = i
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            out.append(_table(lines[i:j]))
            i = j
        elif m := re.match(r"^(#{1,6})\s+(.*)", line):
            level = min(len(m.group(1)) + 3, 6)  # inside a report section: h4 and below
            out.append(f"<h{level}>{inline(m.group(2))}</h{level}>")
            i += 1
        elif re.match(r"^\s*[-*]\s+", line):
            items = []
            while i < len(lines) and re.match(r"^\s*[-*]\s+", lines[i]):
                item = re.sub(r"^\s*[-*]\s+", "", lines[i])
                i += 1
                while i < len(lines) and lines[i].startswith("  ") and lines[i].strip():
                    item += " " + lines[i].strip()
                    i += 1
                items.append(f"<li>{inline(item)}</li>")
            out.append("<ul>" + "".join(items) + "</ul>")
        else:
            para = [line.strip()]
            i += 1
            while i < len(lines) and lines[i].strip() and not re.match(r"^(\s*\||#|\s*[-*]\s)", lines[i]):
                para.append(lines[i].strip())
                i += 1
            out.append(f"<p>{inline(' '.join(para))}</p>")
    return "\n".join(out)
