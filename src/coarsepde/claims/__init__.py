"""Claim checks and ``results/claims.csv``.

Every quantitative claim of the three papers has an ID in ``shared/CLAIMS.md`` (the contract, held
as data in :mod:`.catalogue`). A rule that builds an artifact also checks its claim and writes a
JSON fragment (:mod:`.rows`); the ``claims`` rule gathers the fragments into ``results/claims.csv``.

Modules: :mod:`.catalogue` (the 33 IDs as data), :mod:`.rows` (ClaimResult, fragments, the CSV),
and one module of checks per paper: :mod:`.p1`, :mod:`.p2`, :mod:`.p3` (its two protocols and their
verdicts: :mod:`.p3_protocols`), and :mod:`.x` for the
project's own claims, with :mod:`.stores` reading what the X claims check in the pipeline's stores. The
checks take plain numbers / arrays / records: this package imports no paper package.
"""

from .catalogue import CATALOGUE, CLAIMS, Claim
from .p1 import Fig1Thresholds, check_p1_fig1, check_p1_fig2, check_p1_fig3, check_p1_fig4
from .p1_budget import (
    PAPER_P1,
    PAPER_P1_FIG1,
    P1Budget,
    p1_budgets_from_settings,
    p1_paper_verdict,
    training_length_evidence,
)
from .p2 import (
    check_astar_1d,
    check_astar_2d,
    check_p2_fig6_rhs2d,
    check_p2_fig7_traj2d,
    check_p2_fig8_phase,
)
from .p2_1d import (
    check_p2_cost,
    check_p2_fig1_grid,
    check_p2_fig2_snapshot,
    check_p2_fig4_rhs,
    check_p2_fig5_integrate,
)
from .p3 import (
    P3Errors,
    check_p3_fig4,
    check_p3_fig5,
    check_p3_table1_2,
    check_p3_table3_4,
    check_p3_table5_6,
    check_p3_table7_8,
    check_p3_table9,
    check_p3_table10,
    check_p3_table11,
    check_p3_table12,
    check_p3_table13,
    check_p3_table14,
    check_p3_table15,
    check_p3_table16,
)
from .p3_examples import table14_refutation
from .p3_protocols import (
    PAPER_ADAM,
    AdamBudget,
    budgets_from_provenance,
    converged_errors,
    converged_verdict,
    paper_verdict,
    percents,
    protocol_rows,
    record_evidence,
    recorded_verdict,
    table1_2_refutation,
    table5_6_refutation,
)
from .p3_table_rows import TABLE_CLAIM_TABLES, TableThresholds, floor_note, table_claim_rows
from .rows import (
    COLUMNS,
    PROTOCOLS,
    UNMEASURED,
    VERDICTS,
    ClaimResult,
    gather,
    pending_ids,
    read_fragment,
    unmeasured,
    write_claims_csv,
    write_fragment,
    write_fragments,
)
from .stores import ProvenanceAudit, StoreComparison, audit_provenance, compare_stores, find_stores
from .x import (
    SpeedRecord,
    check_p2_tensor,
    check_x_determinism,
    check_x_p2_cost,
    check_x_provenance,
    check_x_speed_equal_accuracy,
)

__all__ = [
    # P1 budgets and the not-reached verdict of its paper rows
    "P1Budget",
    "PAPER_P1",
    "PAPER_P1_FIG1",
    "p1_budgets_from_settings",
    "p1_paper_verdict",
    "training_length_evidence",
    # the contract as data
    "CATALOGUE",
    "CLAIMS",
    "Claim",
    # rows, fragments, claims.csv
    "COLUMNS",
    "PROTOCOLS",
    "VERDICTS",
    "UNMEASURED",
    "ClaimResult",
    "unmeasured",
    "write_fragment",
    "write_fragments",
    "read_fragment",
    "gather",
    "write_claims_csv",
    "pending_ids",
    # P1
    "check_p1_fig1",
    "Fig1Thresholds",
    "check_p1_fig2",
    "check_p1_fig3",
    "check_p1_fig4",
    # P2
    "check_astar_1d",
    "check_astar_2d",
    "check_p2_fig1_grid",
    "check_p2_cost",
    "check_p2_fig2_snapshot",
    "check_p2_fig4_rhs",
    "check_p2_fig5_integrate",
    "check_p2_fig6_rhs2d",
    "check_p2_fig7_traj2d",
    "check_p2_fig8_phase",
    # P3
    "P3Errors",
    "check_p3_table1_2",
    "check_p3_table3_4",
    "check_p3_table5_6",
    "check_p3_table7_8",
    "check_p3_table9",
    "check_p3_table10",
    "check_p3_table11",
    "check_p3_table12",
    "check_p3_table13",
    "check_p3_table14",
    "check_p3_table15",
    "check_p3_table16",
    "check_p3_fig4",
    "check_p3_fig5",
    "TABLE_CLAIM_TABLES",
    "TableThresholds",
    "table_claim_rows",
    "floor_note",
    "table14_refutation",
    # P3 protocols and verdicts
    "AdamBudget",
    "PAPER_ADAM",
    "budgets_from_provenance",
    "paper_verdict",
    "converged_verdict",
    "protocol_rows",
    "record_evidence",
    "recorded_verdict",
    "converged_errors",
    "percents",
    "table1_2_refutation",
    "table5_6_refutation",
    # X
    "check_p2_tensor",
    "check_x_determinism",
    "check_x_provenance",
    "check_x_speed_equal_accuracy",
    "SpeedRecord",
    "check_x_p2_cost",
    # what the X checks read from the stores
    "StoreComparison",
    "compare_stores",
    "ProvenanceAudit",
    "audit_provenance",
    "find_stores",
]
