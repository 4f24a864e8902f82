"""The project's own HTML report (``results/report.html``): the claims table, then every artifact with its
caption, its claim rows and the path that built it, in one file that opens offline.

Modules: :mod:`.sources` (what the workflow and the code say about an artifact), :mod:`.markup` (captions and
Markdown tables as HTML), :mod:`.page` (the page). Snakemake's own ``--report`` stays available beside it.
"""

from .markup import markdown_to_html, rst_to_html
from .page import VERDICT_COLOURS, read_claims, render_report, write_report
from .sources import Artifact, artifact_claim_ids, artifact_refs, entry_points, file_ref, fragment_ids

__all__ = [
    "Artifact",
    "VERDICT_COLOURS",
    "artifact_claim_ids",
    "artifact_refs",
    "entry_points",
    "file_ref",
    "fragment_ids",
    "markdown_to_html",
    "read_claims",
    "render_report",
    "rst_to_html",
    "write_report",
]
