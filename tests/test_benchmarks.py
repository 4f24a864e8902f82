"""Regression guard of the benchmark suite: the quick mode of rows 1 (fine solver) and 4 (training).

The quick fine-solver comparison (100 samples x 512 cells, t in [0, 0.2], per-sample scipy RK23 timed on 2
samples) measured a per-sample speed-up of the batched solver of 2.1x, 2.1x, 2.7x and 1.67x (median 2.1x;
a 2-core AMD EPYC shared with two pipeline jobs, load average 2.5-4). The guard is set at about half of
that, 1.0x: the test fails if the batched hot path (run_coarse / ode.integrate / the WENO right-hand side)
loses more than 2x against the per-sample scipy approach. (The issue asked for ">= 2x"; the quick ratio
itself is only about 2x on this machine, so a guard at half of it cannot be 2x.)

Training throughput floors are about 1/5 of the quick rates measured under the same load (P1 NN 25-41
steps/s at 1 thread, P3 DC-RNN forward Euler 72-113 and IMEX-BDF-2 41-50 Adam iterations/s).
"""

import csv
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FINE_GUARD = 1.0
FACES_GUARD = 1.5
FLOORS = {"p1_nn_train_1thread": 5.0, "p3_dcrnn_adam_fe": 15.0, "p3_dcrnn_adam_bdf2": 8.0}
COLUMNS = ["name", "what", "value", "unit", "reference", "ratio", "machine"]


def test_quick_benchmarks(tmp_path):
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks/run.py"), "--quick", "--sections", "fine",
                           "training", "--output-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with (tmp_path / "benchmarks.csv").open() as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        rows = {r["name"]: r for r in reader}
    assert (tmp_path / "benchmarks.png").stat().st_size > 10_000

    fine = rows["p1_fine_solver_vs_scipy"]
    ours, ref, ratio = float(fine["value"]), float(fine["reference"]), float(fine["ratio"])
    assert fine["unit"] == "s" and math.isclose(ratio, ref / ours, rel_tol=1e-4)
    assert ratio >= FINE_GUARD, (f"batched fine solver only {ratio:.2f}x faster per sample than per-sample scipy "
                                 f"RK23 (guard {FINE_GUARD}x, measured 2.1x when set): {fine['what']}")
    # the two solvers solve the same problem: final states within the RK23 tolerances' reach
    agree = float(fine["what"].split("final states agree to ")[1].split(" ")[0])
    assert agree < 0.05

    for name in ("p1_fine_bandwidth_fused", "p1_fine_bandwidth_unfused"):
        r = rows[name]
        assert r["unit"] == "cell-updates/s"
        assert 0 < float(r["ratio"]) < 2.0          # a fraction of the bandwidth bound (caches allow > 1 a little)
    # the unfused model moves more bytes per update than the compulsory one: a smaller bound, a larger fraction
    assert float(rows["p1_fine_bandwidth_unfused"]["ratio"]) > float(rows["p1_fine_bandwidth_fused"]["ratio"])

    # the baseline faces of KdV/KS (every FV right-hand side): rolls measured 3.0-3.3x faster than the
    # former gather on an idle machine (100 x 64 cells, 1 thread; 5.5x with the other core busy); the
    # guard fails if that halves
    faces = rows["p1_fv3_faces_rolls_vs_gather"]
    assert float(faces["ratio"]) >= FACES_GUARD, (faces["ratio"], faces["what"])

    for name, floor in FLOORS.items():
        assert float(rows[name]["value"]) >= floor, (name, rows[name]["value"])
    two = rows["p1_nn_train_2threads"]
    assert math.isclose(float(two["ratio"]), float(two["value"]) / float(rows["p1_nn_train_1thread"]["value"]),
                        rel_tol=1e-4)
    assert all(r["machine"] and "cores" in r["machine"] for r in rows.values())
    assert wall < 120, f"quick benchmarks took {wall:.0f} s"
