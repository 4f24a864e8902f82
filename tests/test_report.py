"""results/report.html from a small hand-made results tree: every claim ID with its verdict, the figure
embedded, tables rendered, nothing loaded from outside the file; and the links from artifacts to claims."""

from __future__ import annotations

import base64
import csv
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from coarsepde.claims.catalogue import CATALOGUE
from coarsepde.claims.rows import COLUMNS
from coarsepde.report import (
    VERDICT_COLOURS,
    Artifact,
    artifact_claim_ids,
    artifact_refs,
    entry_points,
    markdown_to_html,
    rst_to_html,
)

ROOT = Path(__file__).resolve().parents[1]
# a 1x1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
VERDICTS = list(VERDICT_COLOURS)


class Page(HTMLParser):
    """Claim rows (data-id, data-verdict), images, and every URL-valued attribute of the page."""

    def __init__(self):
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.images: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "tr" and "data-id" in a:
            self.rows.append(a)
        if tag == "img":
            self.images.append(a.get("src", ""))
        for key in ("src", "href", "action", "data", "poster"):
            if key in a and a[key] is not None:
                self.urls.append(a[key])


@pytest.fixture()
def tree(tmp_path):
    """results/claims.csv with all 33 IDs (verdicts cycling), a figure, a table and a claim fragment."""
    (tmp_path / "results/figures").mkdir(parents=True)
    (tmp_path / "results/tables").mkdir(parents=True)
    (tmp_path / "results/claims").mkdir(parents=True)
    (tmp_path / "results/figures/P1_fig1.png").write_bytes(PNG)
    (tmp_path / "results/tables/P3_table16.md").write_text(
        "# Table 16\n\n- alpha, gamma, beta\n\n| q | alpha_0 |\n|---|---:|\n| 1 | 1 |\n| 2 | 3/2 |\n"
    )
    (tmp_path / "results/claims/P3-table16-bdf.json").write_text(json.dumps([{"id": "P3-table16-bdf"}]))
    rows = []
    for i, (cid, (paper, artifact)) in enumerate(CATALOGUE.items()):
        row = dict.fromkeys(COLUMNS, "")
        row.update(id=cid, paper=paper, artifact=artifact, claim=f"claim of {cid}", protocol="paper")
        row.update(verdict=VERDICTS[i % 4], passed=str(i % 4 == 0), scale="ci", evidence=f"measured {i} <b>")
        rows.append(row)
    rows.append({**rows[-1], "protocol": "converged"})  # a second protocol for one ID
    with open(tmp_path / "results/claims.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    artifacts = [
        {
            "title": "P1_fig1.png",
            "files": ["results/figures/P1_fig1.png"],
            "rule": "p1_figure1",
            "category": "P1 Bar-Sinai 2019",
            "caption": "**Fig. 1** error vs curvature \\|v_xx\\|, ``code``. Claim P1-fig1-interp.\n\nSecond.",
            "caption_file": "workflow/report/P1_fig1.rst",
            "script": "workflow/scripts/p1_figure1.py",
            "entry_points": ["coarsepde.claims.check_p1_fig1"],
            "code": ["src/coarsepde/claims/p1.py"],
            "fragments": [],
        },
        {
            "title": "P3_table16.md",
            "files": ["results/tables/P3_table16.md"],
            "rule": "p3_table16",
            "caption": "Table 16.",
            "script": "workflow/scripts/p3_table16.py",
            "fragments": ["results/claims/P3-table16-bdf.json"],
        },
    ]
    (tmp_path / "settings.json").write_text(json.dumps({"scale": "ci", "artifacts": artifacts}))
    return tmp_path, rows


def build(tree_dir: Path) -> Page:
    out = tree_dir / "results/report.html"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "workflow/scripts/build_report.py"), "--claims", "results/claims.csv"]
        + ["--settings", "settings.json", "--output", str(out)],
        cwd=tree_dir,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    page = Page()
    page.feed(out.read_text())
    return page


def test_report_has_every_claim_with_its_verdict(tree):
    tree_dir, rows = tree
    page = build(tree_dir)
    # the top table holds every row once; the artifact sections repeat their own rows
    top = page.rows[: len(rows)]
    assert [(r["data-id"], r["data-verdict"], r["data-protocol"]) for r in top] == [
        (r["id"], r["verdict"], r["protocol"]) for r in rows
    ]
    assert {r["data-id"] for r in page.rows} == set(CATALOGUE)
    colours = {r["data-verdict"]: r["style"] for r in top}
    assert all(VERDICT_COLOURS[v] in colours[v] for v in VERDICTS)


def test_report_is_self_contained(tree):
    tree_dir, _ = tree
    page = build(tree_dir)
    assert page.images == ["data:image/png;base64," + base64.b64encode(PNG).decode()]
    assert all(u.startswith(("#", "data:")) for u in page.urls), page.urls
    assert not {"script", "link", "iframe"} & set(page.tags)
    text = (tree_dir / "results/report.html").read_text()
    assert "http://" not in text and "https://" not in text
    assert "<b>" not in text  # evidence text is escaped
    # the table was rendered, the caption's RST escapes resolved, anchors exist for the links
    assert '<td style="text-align:right">3/2</td>' in text
    assert "|v_xx|" in text and "<code>code</code>" in text and "<strong>Fig. 1</strong>" in text
    assert {u[1:] for u in page.urls if u.startswith("#")} <= set(page.ids)


def test_artifact_sections_carry_their_claims_and_build_path(tree):
    tree_dir, _ = tree
    build(tree_dir)
    text = (tree_dir / "results/report.html").read_text()
    fig1 = text[text.index('id="a-P1-fig1-png"') : text.index('id="a-P3-table16-md"')]
    assert 'data-id="P1-fig1-interp"' in fig1 and "<code>p1_figure1</code>" in fig1
    assert "workflow/scripts/p1_figure1.py" in fig1 and "<code>check_p1_fig1</code>" in fig1
    table16 = text[text.index('id="a-P3-table16-md"') : text.index('id="a-other"')]
    assert 'data-id="P3-table16-bdf"' in table16  # from the job's claim fragment
    other = text[text.index('id="a-other"') :]
    assert 'data-id="X-provenance"' in other and 'data-id="P1-fig1-interp"' not in other


def test_catalogue_artifacts_map_to_files():
    assert artifact_refs("P1", "Fig 1 A,B,C") == {("P1", "fig", 1)}
    assert artifact_refs("P3", "Tables 1, 2") == {("P3", "table", 1), ("P3", "table", 2)}
    assert artifact_refs("X", "P2 Figs 7-8") == {("P2", "fig", 7), ("P2", "fig", 8)}
    assert artifact_refs("P2", "Eq. 22") == set()
    art = Artifact(title="P2_fig7.png", files=("results/figures/P2_fig7.png",), rule="p2_figure2d")
    assert artifact_claim_ids(art, CATALOGUE) == ["P2-fig7-traj2d", "X-p2-tensor"]
    art = Artifact(title="P3_table2.md", files=("results/tables/P3_table2.md",), rule="p3_table")
    assert artifact_claim_ids(art, CATALOGUE) == ["P3-table1-2"]
    # a caption naming an ID links it; a longer ID containing it does not
    art = Artifact(title="x", files=("results/tables/P2_effective_coefficients.md",), rule="r", caption="P2-astar-1d.")
    assert artifact_claim_ids(art, CATALOGUE) == ["P2-astar-1d"]


def test_entry_points_read_the_script():
    names = entry_points(ROOT / "workflow/scripts/gather_claims.py")
    assert names == ["coarsepde.claims.UNMEASURED", "coarsepde.claims.gather", "coarsepde.claims.write_claims_csv"]


def test_markup():
    assert rst_to_html("a \\|k\\| b\n\nc") == "<p>a |k| b</p>\n<p>c</p>"
    md = markdown_to_html("## H\n#x\ntext `a<b`\n\n| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert "<h5>H</h5>" in md and "<code>a&lt;b</code>" in md
    assert '<td style="text-align:right">2</td>' in md and "<p>#x text" in md


def test_captions_have_no_rst_substitutions():
    """Snakemake's report reads |name| as an RST substitution; the captions escape their bars."""
    import re

    for path in (ROOT / "workflow/report").glob("*.rst"):
        text = path.read_text()
        assert not re.search(r"(?<!\\)\|[^|\s][^|]*(?<![\\\s])\|", text), path.name
