"""Row 1 (P1): the batched fine WENO5-Godunov solver vs the original's per-sample scipy RK23, and its
cell-update rate against this machine's memory-bandwidth bound.

Ours: ``coarsepde.discretization.simulate.run_coarse`` with ``baseline("weno", ...)`` -- the call
``fine_solutions`` makes -- on a batch of samples: adaptive Bogacki-Shampine RK23
(``coarsepde.numerics.ode.integrate``) with one shared step, one batched right-hand side per stage
(the fused WENO kernel plus the forcing). A second row times the same with per-sample step sizes
(``steps="independent"``).

Reference (Bar-Sinai et al. 2019, the authors' integration): ``scipy.integrate.solve_ivp(method="RK23")``
with the same max_step / rtol / atol, one sample at a time, the same right-hand side in numpy (WENO5 with
eps 1e-6, p 2; exact Godunov flux; the 4-cell order-3 slope for the viscous term; the forcing from the same
shared cos/sin basis and per-sample mode folding as ours, so the comparison measures batching and the
integrator, not a cheaper forcing). The numpy right-hand side is checked against the package's to round-off before timing.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from common import ROOT, fmt, interleaved, memory_bandwidth, row
from scipy.integrate import solve_ivp

from coarsepde.discretization.equations import WENO_VX_OFFSETS, Forcing, draw_forcing
from coarsepde.discretization.simulate import SolverSettings, baseline, right_hand_side, run_coarse
from coarsepde.numerics import stencils

WENO_EPS, WENO_P = 1e-6, 2.0


def numpy_rhs(eta: float, length: float, n: int, forcing: Forcing) -> Callable[[float, np.ndarray, int], np.ndarray]:
    """The fine right-hand side of one sample i in plain numpy: f(t, v (n,), i) -> dv/dt (n,)."""
    dx = length / n
    c = stencils.coefficients(WENO_VX_OFFSETS, 1, 3, "finite_volume", dx)
    a, om, ph = (getattr(forcing, k).numpy() for k in ("a", "omega", "phi"))
    fold_cos, fold_sin = forcing.fold_cos.numpy(), forcing.fold_sin.numpy()  # (S, M, J)
    basis_cos, basis_sin = forcing.basis_cos.numpy(), forcing.basis_sin.numpy()  # (J, n)
    d0, d1, d2 = 0.1, 0.6, 0.3

    def weno(um2, um1, u0, up1, up2):
        q0 = (2.0 * um2 - 7.0 * um1 + 11.0 * u0) / 6.0
        q1 = (-um1 + 5.0 * u0 + 2.0 * up1) / 6.0
        q2 = (2.0 * u0 + 5.0 * up1 - up2) / 6.0
        b0 = 13.0 / 12.0 * (um2 - 2.0 * um1 + u0) ** 2 + 0.25 * (um2 - 4.0 * um1 + 3.0 * u0) ** 2
        b1 = 13.0 / 12.0 * (um1 - 2.0 * u0 + up1) ** 2 + 0.25 * (um1 - up1) ** 2
        b2 = 13.0 / 12.0 * (u0 - 2.0 * up1 + up2) ** 2 + 0.25 * (3.0 * u0 - 4.0 * up1 + up2) ** 2
        a0 = d0 / (WENO_EPS + b0) ** WENO_P
        a1 = d1 / (WENO_EPS + b1) ** WENO_P
        a2 = d2 / (WENO_EPS + b2) ** WENO_P
        return (a0 * q0 + a1 * q1 + a2 * q2) / (a0 + a1 + a2)

    def rhs(t: float, v: np.ndarray, i: int) -> np.ndarray:
        p = np.concatenate([v[-3:], v, v[:3]])  # periodic ghost cells: p[k + 3] = v[k]
        s = {k: p[3 + k : 3 + k + n] for k in range(-3, 3)}  # s[k][i] = v[i + k]
        s[3] = p[6:]
        vm = weno(s[-3], s[-2], s[-1], s[0], s[1])  # left face i, from the left
        vp = weno(s[2], s[1], s[0], s[-1], s[-2])  # from the right
        vx = c[0] * s[-2] + c[1] * s[-1] + c[2] * s[0] + c[3] * s[1]
        J = 0.5 * np.maximum(np.maximum(vm, 0.0) ** 2, np.minimum(vp, 0.0) ** 2) - eta * vx
        arg = om[i] * t + ph[i]
        f = ((a[i] * np.sin(arg)) @ fold_cos[i]) @ basis_cos + ((a[i] * np.cos(arg)) @ fold_sin[i]) @ basis_sin
        return -(np.roll(J, -1) - J) / dx + f

    return rhs


def _states(batch: int, n: int, length: float, fcfg: dict, quick: bool):
    """(v0 (B, n), forcing params, description): developed states of the pipeline's test data when
    present (full mode), else smooth random fields (steepening into shocks within the interval)."""
    path = ROOT / "results/discretization/burgers/test.zarr"
    if not quick and path.exists():
        try:
            import warnings

            import xarray as xr

            from coarsepde.discretization.equations import ForcingParams

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Snakemake's timestamp file inside the store
                ds = xr.open_zarr(path, consolidated=False)
            if ds.sizes["x"] == n:
                S, T = ds.sizes["sample"], ds.sizes["time"]
                per = math.ceil(batch / S)
                ti = np.linspace(0, T - 1, per).round().astype(int)
                v = ds.v.values[:, ti].reshape(-1, n)[:batch]  # sample-major: (S * per, n)
                rows = np.repeat(np.arange(S), per)[:batch]
                fp = ForcingParams(*(ds[f"forcing_{k}"].values[rows] for k in ("a", "omega", "k", "phi")))
                return v, fp, f"developed states of the pipeline's test data ({S} forcings x {per} times)"
        except Exception as exc:  # noqa: BLE001 -- fall back to synthetic states, say so
            print(f"  (test data unusable: {exc}; synthetic states)")
    rng = np.random.default_rng(1234)
    x = np.arange(n) * length / n
    k = np.arange(1, 5)
    amp = rng.uniform(-0.5, 0.5, (batch, k.size))
    ph = rng.uniform(0, 2 * np.pi, (batch, k.size))
    v = np.einsum("bk,bkx->bx", amp, np.sin(k[None, :, None] * 2 * np.pi * x / length + ph[..., None]))
    fp = draw_forcing(np.arange(batch), fcfg["n_modes"], fcfg["k_min"], fcfg["k_max"], fcfg["amplitude"])
    return v, fp, "smooth random states (4 modes, |a| <= 0.5)"


def _rhs_bytes(fn: Callable[[], object]) -> int:
    """Bytes read + written by every aten op of one call (each operand streamed once: the unfused model)."""
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_flatten

    total = [0]

    class Count(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for t in tree_flatten((args, kwargs or {}, out))[0]:
                if isinstance(t, torch.Tensor):
                    total[0] += t.numel() * t.element_size()
            return out

    with Count():
        fn()
    return total[0]


def run(cfg: dict, quick: bool, repeats: int) -> list[dict]:
    torch.set_num_threads(1)
    b = cfg["discretization"]["burgers"]
    eta, length, n = b["eta"], b["length_pi"] * np.pi, b["n_fine"]
    settings = SolverSettings(**b["solver"])
    # quick: the same batch (the per-sample cost depends on it), a fifth of the interval
    batch, t_end, n_ref = (100, 0.2, 2) if quick else (100, 1.0, 5)
    v0, fp, origin = _states(batch, n, length, b["forcing"], quick)
    forcing = Forcing(fp, length, n)
    equation, faces = baseline("weno", eta, length, n)
    dx = length / n
    y0 = torch.as_tensor(v0, dtype=torch.float64)
    t_eval = np.array([0.0, t_end])

    # the numpy right-hand side equals the package's
    f_np = numpy_rhs(eta, length, n, forcing)
    with torch.inference_mode():
        ours_rhs = (equation.time_derivative(faces(y0), dx) + forcing(0.3, None)).numpy()
    ref_rhs = np.stack([f_np(0.3, v0[i], i) for i in range(batch)])
    rhs_err = float(np.abs(ours_rhs - ref_rhs).max() / np.abs(ours_rhs).max())
    if rhs_err > 1e-12:
        raise AssertionError(f"numpy reference right-hand side differs from the package's by {rhs_err:.2e}")

    def ours():
        # the torch loop of ode.integrate: what fine_solutions runs (its checkpointed chunks); the compiled loop
        # of the coarse runs is measured by the accuracy section (p1_coarse_run_* rows)
        return run_coarse(equation, faces, y0, forcing, t_eval, settings, compiled=False)

    def independent():
        return run_coarse(equation, faces, y0, forcing, t_eval, settings, steps="independent")

    def reference():
        out = []
        for i in range(n_ref):
            sol = solve_ivp(
                f_np,
                (0.0, t_end),
                v0[i],
                method="RK23",
                t_eval=[t_end],
                args=(i,),
                max_step=settings.max_step,
                rtol=settings.rtol,
                atol=settings.atol,
            )
            if not sol.success:
                raise RuntimeError(f"scipy RK23 failed on sample {i}: {sol.message}")
            out.append((sol.y[:, -1], sol.nfev))
        return out

    print(
        f"  fine solver: {batch} samples x {n} cells, t in [0, {t_end}], scipy on {n_ref} samples, "
        f"{repeats if quick else max(repeats, 5)} interleaved repeats ...",
        flush=True,
    )
    # the headline ratio: more repeats in the full run (each side sees the machine's load swings)
    (t_ours, t_ref, t_ind), (sol, ref, sol_ind) = interleaved(
        [ours, reference, independent], repeats if quick else max(repeats, 5)
    )
    if sol.diverged.any():
        raise RuntimeError("the fine solver diverged on the benchmark states")
    t_ref_batch = t_ref * batch / n_ref
    (t_np,), _ = interleaved([lambda: [f_np(0.3, v0[0], 0) for _ in range(100)]], repeats)
    t_np /= 100
    ours_per, ref_per = t_ours / batch, t_ref / n_ref
    y_ours = sol.y[:n_ref, -1].numpy()
    y_ref = np.stack([r[0] for r in ref])
    diff = float(np.abs(y_ours - y_ref).max())
    scale = float(np.abs(y_ref).max())
    nfev_ref = float(np.mean([r[1] for r in ref]))

    rows = [
        row(
            "p1_fine_solver_vs_scipy",
            f"P1 fine WENO5-Godunov forced Burgers, {n} cells, {batch} samples, t in [0, {t_end:g}] ({origin}): "
            f"batched RK23 (run_coarse, the fine_solutions path: {sol.n_steps} shared steps + {sol.n_rejected} "
            f"rejected, {sol.nfev} batched rhs calls, {1e3 * ours_per:.1f} ms per sample) vs scipy solve_ivp RK23 one sample at a time (numpy rhs "
            f"{1e3 * t_np:.2f} ms per call, {nfev_ref:.0f} rhs calls per sample; timed on "
            f"{n_ref} samples, {fmt(ref_per)} s each, scaled to {batch}); max_step {settings.max_step:g}, rtol "
            f"{settings.rtol:g}, atol {settings.atol:g}; final states agree to {fmt(diff, 2)} (max |v| {fmt(scale, 2)})",
            t_ours,
            "s",
            t_ref_batch,
            t_ref_batch / t_ours,
            threads=1,
        ),
        row(
            "p1_fine_independent_vs_shared_steps",
            f"the same batch with per-sample step sizes (steps='independent': {sol_ind.n_steps / batch:.0f} accepted + "
            f"{sol_ind.n_rejected / batch:.0f} rejected steps per sample, {sol_ind.nfev} batched rhs calls while the "
            f"slowest sample runs, the batch shrinking as samples finish) vs shared steps; final states differ by "
            f"{fmt(float((sol_ind.y[:, -1] - sol.y[:, -1]).abs().max()), 2)} (shared steps are the more accurate)",
            t_ind,
            "s",
            t_ours,
            t_ours / t_ind,
            threads=1,
        ),
    ]

    # --- cell-update rate vs the memory-bandwidth bound -------------------------------------------
    rhs = right_hand_side(equation, faces, forcing, dx)  # the right-hand side the solver calls (fused WENO + forcing)
    all_rows = torch.arange(batch)
    with torch.inference_mode():

        def one_rhs():
            return rhs(0.3, y0, all_rows)

        def torch_rhs():  # the differentiable torch composition the solver used before the fused kernel
            return equation.time_derivative(faces(y0), dx) + forcing(0.3, all_rows)

        dev = float((one_rhs() - torch_rhs()).abs().max() / torch_rhs().abs().max())
        if dev > 1e-13:
            raise AssertionError(f"fused and torch right-hand sides differ by {dev:.2e} (relative)")
        (t_rhs, t_torch), _ = interleaved(
            [lambda: [one_rhs() for _ in range(20)], lambda: [torch_rhs() for _ in range(20)]], repeats
        )
        t_rhs, t_torch = t_rhs / 20, t_torch / 20
        y1, r1 = y0[:1].clone(), torch.tensor([0])
        (t_rhs1,), _ = interleaved([lambda: [rhs(0.3, y1, r1) for _ in range(50)]], repeats)
        t_rhs1 /= 50
        torch_bytes = _rhs_bytes(torch_rhs) / (batch * n)
    bw = memory_bandwidth(100_000_000 if quick else 400_000_000, repeats=3 if quick else 5)
    gbps = bw["triad_GBps"]
    J = forcing.basis_cos.shape[0]
    fused = 8 + 8 + 2 * J * 8 / batch  # read v, write dv/dt; the shared (J, n) forcing basis, once per batched call
    updates = batch * n * sol.nfev / t_ours
    bound = gbps * 1e9 / fused
    rows.append(
        row(
            "p1_fine_bandwidth_fused",
            f"cell-updates/s of the fine solver (cells x batched rhs calls / wall, {batch} x {n} cells, integrator "
            f"included; one batched rhs call {1e3 * t_rhs:.2f} ms, one sample alone {1e3 * t_rhs1:.2f} ms; the batch "
            f"shrinks as samples finish, so calls average fewer cells) vs the bound bandwidth / bytes per cell-update; "
            f"bandwidth: numpy STREAM triad {gbps:.1f} GB/s (copy {bw['copy_GBps']:.1f} GB/s, {bw['array_MB']:.0f} MB "
            f"arrays, 1 thread); model: compulsory traffic of a fused rhs: v in, dv/dt out, the shared {J}-wavenumber "
            f"forcing basis (cos, sin) read once per batched call = {fused:.1f} B per cell-update",
            updates,
            "cell-updates/s",
            bound,
            updates / bound,
            threads=1,
        )
    )
    rows.append(
        row(
            "p1_fine_rhs_fused_vs_torch",
            f"P1 fine right-hand side, one batched call on {batch} x {n} cells (WENO5 faces, Godunov flux, viscous "
            f"slope, forcing): the compiled one-pass kernel (discretization/burgers_fused.py, numba) vs the differentiable "
            f"torch composition the solver ran before ({torch_bytes:.0f} B streamed per cell-update by its aten ops, "
            f"counted by a dispatch hook); agree to {dev:.1e} relative",
            t_rhs,
            "s",
            t_torch,
            t_torch / t_rhs,
            threads=1,
        )
    )
    rows.append(_forcing_basis(forcing, fp, length, n, repeats))
    print(
        f"  fine solver: ours {t_ours:.2f} s, scipy {t_ref_batch:.1f} s (x{t_ref_batch / t_ours:.1f}); "
        f"{updates:.3g} cell-updates/s; triad {gbps:.1f} GB/s; rhs fused {1e3 * t_rhs:.2f} ms vs torch "
        f"{1e3 * t_torch:.2f} ms",
        flush=True,
    )
    rows.append(_coarse_overhead(b, v0, fp, settings, t_end, repeats))
    rows.append(_fv_faces(repeats, quick))
    return rows


class _ForcingTables:
    """The previous forcing evaluation: per-realization (S, M, N) cos/sin tables of every mode, gathered
    by ``rows`` and contracted on every call (the reference of the shared basis that replaced it)."""

    def __init__(self, params, length: float, n: int):
        x = np.arange(n) * (length / n)
        phase = 2 * np.pi * params.k[:, :, None] * x / length
        self.cos, self.sin = torch.as_tensor(np.cos(phase)), torch.as_tensor(np.sin(phase))
        self.a, self.omega, self.phi = (torch.as_tensor(getattr(params, k)) for k in ("a", "omega", "phi"))

    def __call__(self, t: float, rows: torch.Tensor) -> torch.Tensor:
        arg = self.omega[rows] * t + self.phi[rows]
        wa, wb = self.a[rows] * torch.sin(arg), self.a[rows] * torch.cos(arg)
        return torch.einsum("sm,smn->sn", wa, self.cos[rows]) + torch.einsum("sm,smn->sn", wb, self.sin[rows])


def _forcing_basis(forcing: Forcing, fp, length: float, n: int, repeats: int) -> dict:
    """The forcing as the integrator calls it (with the rows of the alive samples): shared basis vs tables."""
    batch = forcing.a.shape[0]
    old = _ForcingTables(fp, length, n)
    rows_ = torch.arange(batch)
    dev = float((forcing(0.3, rows_) - old(0.3, rows_)).abs().max())
    if dev > 1e-12:
        raise AssertionError(f"forcing basis and tables differ by {dev:.2e}")
    calls = 50
    with torch.inference_mode():
        (t_new, t_old), _ = interleaved(
            [lambda: [forcing(0.3, rows_) for _ in range(calls)], lambda: [old(0.3, rows_) for _ in range(calls)]],
            repeats,
        )
    M = fp.a.shape[1]
    return row(
        "p1_forcing_basis_vs_tables",
        f"P1 Burgers forcing, one call for {batch} realizations x {n} cells as the integrator makes it (rows of "
        f"the alive samples): {M} modes folded onto the shared basis of the {forcing.basis_cos.shape[0]} "
        f"distinct |k| (an (S, J) x (J, N) product) vs the former per-realization (S, M, N) tables gathered "
        f"by rows and contracted (agree to {dev:.1e})",
        t_new / calls,
        "s",
        t_old / calls,
        t_old / t_new,
        threads=1,
    )


def _gather_faces(v: torch.Tensor, dx: float, names: dict, accuracy_order: int) -> dict:
    """The previous implementation of the baseline face quantities: a (B, N, width) gather of every
    stencil, coefficients rebuilt on every call (the reference of the rolls that replaced it)."""
    from coarsepde.numerics import stencils

    out = {}
    for name, order in names.items():
        offsets = stencils.baseline_offsets(order, accuracy_order)
        c = torch.as_tensor(stencils.coefficients(offsets, order, accuracy_order, "finite_volume", dx), dtype=v.dtype)
        first, w, n = int(offsets[0] - 0.5), len(offsets), v.shape[-1]
        idx = (torch.arange(n)[:, None] + torch.arange(first, first + w)) % n
        out[name] = (v[..., idx] * c).sum(-1)
    return out


def _fv_faces(repeats: int, quick: bool) -> dict:
    """P1 FV3 baseline face quantities of KS (v, v_x, v_xxx), called in every right-hand side of the
    KdV/KS baselines (Fig. 4): cached coefficients and rolls vs the former per-call gather."""
    from coarsepde.discretization.equations import face_derivatives_polynomial

    batch, n, calls = (100, 64, 50) if quick else (100, 64, 200)
    names = {"v": 0, "v_x": 1, "v_xxx": 3}
    v = torch.as_tensor(np.random.default_rng(0).standard_normal((batch, n)))
    dx = 64.0 / n
    new, old = face_derivatives_polynomial(v, dx, names, 3), _gather_faces(v, dx, names, 3)
    dev = max(float((new[k] - old[k]).abs().max() / old[k].abs().max()) for k in names)
    if dev > 1e-14:
        raise AssertionError(f"rolls and gather disagree by {dev:.2e} (relative)")

    def ours():
        for _ in range(calls):
            face_derivatives_polynomial(v, dx, names, 3)

    def reference():
        for _ in range(calls):
            _gather_faces(v, dx, names, 3)

    (t_ours, t_ref), _ = interleaved([ours, reference], repeats)
    print(
        f"  FV3 faces: rolls {1e6 * t_ours / calls:.0f} us, gather {1e6 * t_ref / calls:.0f} us per call "
        f"(x{t_ref / t_ours:.1f})",
        flush=True,
    )
    return row(
        "p1_fv3_faces_rolls_vs_gather",
        f"P1 KS FV3 baseline faces (v, v_x, v_xxx), {batch} samples x {n} cells, seconds per call: cached "
        f"stencil coefficients and rolls vs the former per-call (B, N, width) gather (agree to {dev:.1e})",
        t_ours / calls,
        "s",
        t_ref / calls,
        t_ref / t_ours,
        threads=1,
    )


def _coarse_overhead(b: dict, v0: np.ndarray, fp, settings: SolverSettings, t_end: float, repeats: int) -> dict:
    """The same comparison on the coarsest evaluation grid (p1_evaluate at 64x: 10 samples x 8 cells), where
    the cost of a call, not of a cell, decides: every sample integrated by scipy (no scaling)."""
    from coarsepde.discretization.equations import ForcingParams, coarse_grain

    eta, length, n_fine = b["eta"], b["length_pi"] * np.pi, b["n_fine"]
    f = max(b["resample_factors"])
    n, batch = n_fine // f, b["test"]["n_runs"]
    sub = ForcingParams(*(getattr(fp, k)[:batch] for k in ("a", "omega", "k", "phi")))
    forcing = Forcing(sub, length, n_fine, f)
    vc = coarse_grain(v0[:batch], f)
    y0 = torch.as_tensor(vc)
    equation, faces = baseline("weno", eta, length, n)
    f_np = numpy_rhs(eta, length, n, forcing)
    with torch.inference_mode():
        ours_rhs = (equation.time_derivative(faces(y0), length / n) + forcing(0.3, None)).numpy()
    ref_rhs = np.stack([f_np(0.3, vc[i], i) for i in range(batch)])
    if np.abs(ours_rhs - ref_rhs).max() > 1e-12 * np.abs(ours_rhs).max():
        raise AssertionError("numpy reference right-hand side differs from the package's on the coarse grid")
    t_eval = np.array([0.0, t_end])

    def ours():
        return run_coarse(equation, faces, y0, forcing, t_eval, settings)

    def reference():
        return [
            solve_ivp(
                f_np,
                (0.0, t_end),
                vc[i],
                method="RK23",
                t_eval=[t_end],
                args=(i,),
                max_step=settings.max_step,
                rtol=settings.rtol,
                atol=settings.atol,
            ).nfev
            for i in range(batch)
        ]

    (t_ours, t_ref), (sol, nfev) = interleaved([ours, reference], repeats)
    per_call = t_ours / sol.nfev
    print(
        f"  coarse {f}x: ours {t_ours:.2f} s ({1e3 * per_call:.2f} ms per rhs call), scipy {t_ref:.2f} s "
        f"(x{t_ref / t_ours:.2f})",
        flush=True,
    )
    return row(
        f"p1_coarse_weno_{f}x_vs_scipy",
        f"P1 WENO on the coarsest evaluation grid ({f}x: {batch} samples x {n} cells, t in [0, {t_end:g}]): "
        f"batched run_coarse ({sol.nfev} batched rhs calls, {1e3 * per_call:.2f} ms per call with the "
        f"integrator: fixed per-call cost, the cells are few) vs scipy RK23 per sample on all {batch} samples "
        f"(numpy rhs, {np.mean(nfev):.0f} calls per sample)",
        t_ours,
        "s",
        t_ref,
        t_ref / t_ours,
        threads=1,
    )
