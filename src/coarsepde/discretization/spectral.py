"""Pseudo-spectral "exact" solver of the KdV and Kuramoto-Sivashinsky equations, batched over samples.

The authors computed their KdV/KS reference data with Fourier derivatives of the non-conservative
equation on the fine grid (scipy.fftpack.diff, no dealiasing; reference notes Sect. 1.4). We keep
that spatial discretization, written as

    v_t = L v + N(v),    L Fourier-diagonal (KdV: -d^3/dx^3, KS: -d^2/dx^2 - d^4/dx^4),
                         N(v) = -c d/dx (v^2)  (KdV c = 3, KS c = 1/2),

and integrate it with the fourth-order exponential time-differencing Runge-Kutta scheme ETDRK4
(Cox & Matthews 2002) with the contour-integral evaluation of its coefficients (Kassam & Trefethen
2005), instead of the original's adaptive explicit RK23 (max_step 0.01): the stiff linear part is
then integrated exactly and the step is set by the nonlinear term alone. This is a deliberate
change of the time integrator only (the original's RK23 would need ~1e-4 steps for KS at this
resolution); mesh and time-step convergence are tested in tests/test_p1_kdv_ks.py.

Fields are point values at x_j = j L / N (the fine grid); the coarse-grained training inputs and
labels are means of ``factor`` consecutive fine values (the original's ``resample_mean``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from coarsepde.discretization.equations import random_initial_conditions

__all__ = ["wavenumbers", "SpectralSolver", "fine_solutions"]


def wavenumbers(n: int, length: float) -> np.ndarray:
    """Angular wavenumbers 2 pi m / L of ``numpy.fft.rfft`` on n points, (n // 2 + 1,)."""
    if n < 4 or n % 2:
        raise ValueError(f"need an even number of points >= 4, got {n}")
    return 2 * np.pi / length * np.arange(n // 2 + 1)


def _etd_coefficients(hL: np.ndarray, contour_points: int = 64):
    """ETDRK4 coefficients E, E2, Q, f1, f2, f3 for the diagonal h L (complex), by contour integrals
    around each h L_k (Kassam & Trefethen 2005, Eq. 2.5 and Sect. 3), which avoids the cancellation
    of the phi-function formulas at small |h L|."""
    # the whole circle of radius 1 (Kassam & Trefethen use the upper half and take the real part,
    # which is valid only for real L; KdV's L is imaginary)
    r = np.exp(2j * np.pi * (np.arange(1, contour_points + 1) - 0.5) / contour_points)
    LR = hL[:, None] + r[None, :]
    eLR = np.exp(LR)
    Q = np.mean((np.exp(LR / 2) - 1) / LR, axis=1)
    f1 = np.mean((-4 - LR + eLR * (4 - 3 * LR + LR**2)) / LR**3, axis=1)
    f2 = np.mean((2 + LR + eLR * (LR - 2)) / LR**3, axis=1)
    f3 = np.mean((-4 - 3 * LR - LR**2 + eLR * (4 - LR)) / LR**3, axis=1)
    if np.all(np.isreal(hL)):  # KS: the exact coefficients are real; drop the contour's round-off
        Q, f1, f2, f3 = Q.real, f1.real, f2.real, f3.real
    return np.exp(hL), np.exp(hL / 2), Q, f1, f2, f3


class SpectralSolver:
    """ETDRK4 pseudo-spectral integrator of ``equation`` (KdV or KS) on ``n`` points, step ``dt``.

    ``dealias``: zero the modes above 2/3 of the Nyquist wavenumber in the nonlinear term (off by
    default: the original did not dealias; at a mesh-converged resolution it makes no difference).
    """

    def __init__(self, equation, n: int, dt: float, dealias: bool = False, contour_points: int = 64):
        if not hasattr(equation, "linear_symbol"):
            raise TypeError(f"{type(equation).__name__} has no spectral form (KdV and KS only)")
        if not dt > 0:
            raise ValueError(f"dt must be > 0, got {dt}")
        self.equation, self.n, self.dt = equation, int(n), float(dt)
        self.k = wavenumbers(self.n, equation.length)
        self.L = equation.linear_symbol(self.k)
        # N(v)^ = -c i k (v^2)^; the Nyquist mode of an odd derivative is zeroed (it has no
        # real-valued derivative), as in spectral differentiation of real data
        ik = 1j * self.k
        ik[-1] = 0.0
        self.g = -equation.nonlinear_coefficient * ik
        if dealias:
            self.g = np.where(self.k <= (2.0 / 3.0) * self.k[-1], self.g, 0.0)
        h = self.dt
        self.E, self.E2, Q, f1, f2, f3 = _etd_coefficients(h * self.L, contour_points)
        self.Q, self.f1, self.f2, self.f3 = h * Q, h * f1, h * f2, h * f3

    def _nonlinear(self, v_hat: np.ndarray) -> np.ndarray:
        v = np.fft.irfft(v_hat, n=self.n, axis=-1)
        return self.g * np.fft.rfft(v * v, axis=-1)

    def step_hat(self, v_hat: np.ndarray) -> np.ndarray:
        """One ETDRK4 step in Fourier space (Kassam & Trefethen 2005, Eq. 2.5)."""
        Nv = self._nonlinear(v_hat)
        a = self.E2 * v_hat + self.Q * Nv
        Na = self._nonlinear(a)
        b = self.E2 * v_hat + self.Q * Na
        Nb = self._nonlinear(b)
        c = self.E2 * a + self.Q * (2 * Nb - Nv)
        Nc = self._nonlinear(c)
        return self.E * v_hat + Nv * self.f1 + 2 * (Na + Nb) * self.f2 + Nc * self.f3

    def time_derivative(self, v: np.ndarray) -> np.ndarray:
        """The spectral right-hand side L v + N(v) at the grid points, (..., n) -> (..., n)
        (the training label before coarse-graining)."""
        v_hat = np.fft.rfft(np.asarray(v, dtype=float), axis=-1)
        return np.fft.irfft(self.L * v_hat + self._nonlinear(v_hat), n=self.n, axis=-1)

    def advance(self, v_hat: np.ndarray, n_steps: int) -> np.ndarray:
        """``n_steps`` ETDRK4 steps of the Fourier state (no checks; see :meth:`solve`)."""
        for _ in range(int(n_steps)):
            with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is reported by the caller
                v_hat = self.step_hat(v_hat)
        return v_hat

    def output_steps(self, t_out: Sequence[float], t0: float = 0.0) -> np.ndarray:
        """Step counts from t0 to each output time; every output must be t0 + an integer number of
        steps (to 1e-9 relative): outputs are never interpolated."""
        t_out = np.asarray(t_out, dtype=float)
        steps = np.rint((t_out - t0) / self.dt).astype(np.int64)
        if np.any(steps < 0) or np.any(np.diff(steps) < 0):
            raise ValueError("output times must be non-decreasing and >= t0")
        if np.any(np.abs(t0 + steps * self.dt - t_out) > 1e-9 * np.maximum(1.0, np.abs(t_out))):
            raise ValueError(f"output times must be t0 + multiples of dt = {self.dt}")
        return steps

    def check(self, v: np.ndarray, t: float, bound: float = 1e3) -> None:
        """FloatingPointError if a solution left |v| < ``bound`` (the fine solver is the reference: a
        blow-up there means the grid or the step is too coarse)."""
        if not np.all(np.isfinite(v)) or np.abs(v).max() > bound:
            raise FloatingPointError(
                f"the spectral {self.equation.name} solution blew up by t = {t}: "
                f"refine the grid (n = {self.n}) or the step (dt = {self.dt})"
            )

    def solve(
        self,
        v0: np.ndarray,
        t_out: Sequence[float],
        t0: float = 0.0,
        log: Callable[[str], None] | None = None,
        bound: float = 1e3,
    ) -> np.ndarray:
        """Integrate v0 (S, n) from t0 and return the states at ``t_out`` (S, T, n).

        Every output time must be t0 + an integer number of steps (:meth:`output_steps`). Raises
        FloatingPointError if a solution leaves |v| < ``bound`` (:meth:`check`).
        """
        v0 = np.asarray(v0, dtype=float)
        if v0.ndim != 2 or v0.shape[1] != self.n:
            raise ValueError(f"expected v0 of shape (S, {self.n}), got {v0.shape}")
        t_out = np.asarray(t_out, dtype=float)
        steps = self.output_steps(t_out, t0)
        out = np.empty((v0.shape[0], len(t_out), self.n))
        v_hat = np.fft.rfft(v0, axis=-1)
        done = 0
        for j, target in enumerate(steps):
            v_hat = self.advance(v_hat, target - done)
            done = int(target)
            if log is not None:
                log(f"spectral {self.equation.name}: output {j + 1} of {len(steps)} (step {done})")
            out[:, j] = np.fft.irfft(v_hat, n=self.n, axis=-1)
            self.check(out[:, j], t_out[j], bound)
        return out


def fine_solutions(
    equation,
    seeds: Sequence[int],
    *,
    n_fine: int,
    dt: float,
    warmup: float,
    t_out: Sequence[float],
    n_modes: int = 10,
    k_max: int = 3,
    amplitude: float = 1.0,
    k_min: int = 1,
    dealias: bool = False,
    batch: int = 128,
    log: Callable[[str], None] | None = None,
    chunk_outputs: int = 0,
    checkpoint: str | None = None,
    stop_after: int | None = None,
):
    """The KdV/KS "exact" data: one random initial condition per seed (:func:`random_initial_conditions`)
    at t = 0, integrated on the fine grid through the warm-up to the absolute output times ``t_out``
    (>= warmup; the original's convention: time stamps include the warm-up).

    With ``checkpoint`` (a path) and ``chunk_outputs`` >= 1, the outputs of each batch are
    committed every ``chunk_outputs`` outputs (the warm-up is the first chunk) to a
    :class:`coarsepde.resume.SimulationCheckpoint` with the Fourier state, and a restarted run goes
    on from the last commit: the same bits as an uninterrupted run (ETDRK4 has a fixed step).
    ``stop_after``: raise :class:`InterruptedError` after that many chunks (tests).

    Returns (v (S, T, n_fine), dvdt (S, T, n_fine)): the fine point values and the spectral
    right-hand side there (the unaveraged training label).
    """
    t_out = np.asarray(t_out, dtype=float)
    if t_out[0] < warmup:
        raise ValueError(f"outputs must start at or after the warm-up ({warmup}), got {t_out[0]}")
    if checkpoint is not None and chunk_outputs < 1:
        raise ValueError("a checkpoint needs chunk_outputs >= 1")
    solver = SpectralSolver(equation, n_fine, dt, dealias=dealias)
    steps = solver.output_steps(t_out)
    seeds = np.asarray(seeds)
    S, T = len(seeds), len(t_out)
    ckpt = None
    if checkpoint is not None:
        from coarsepde.resume import SimulationCheckpoint

        key = {
            "solver": "etdrk4",
            "equation": equation.name,
            "length": equation.length,
            "n_fine": n_fine,
            "dt": dt,
            "dealias": dealias,
            "t_out": t_out.tolist(),
            "seeds": seeds.tolist(),
            "n_modes": n_modes,
            "k_max": k_max,
            "k_min": k_min,
            "amplitude": amplitude,
            "batch": batch,
            "chunk_outputs": chunk_outputs,
        }
        # one Zarr chunk per (batch, output): a write killed half-way cannot touch a committed output
        ckpt = SimulationCheckpoint(
            checkpoint, key=key, arrays={"v": ((S, T, n_fine), (min(batch, S), 1, n_fine))}, log=log
        )
    step_every = T if chunk_outputs < 1 else chunk_outputs
    v_all, d_all, n_chunks = [], [], 0
    for start in range(0, S, batch):
        sl = slice(start, min(start + batch, S))
        prog = ckpt.progress if ckpt is not None else None
        if prog is not None and prog["batch_start"] > start:  # finished before a restart
            v = ckpt.read("v", sl)
        else:
            v = np.full((sl.stop - sl.start, T, n_fine), np.nan)
            if prog is not None and prog["batch_start"] == start and prog["outputs"] > 0:
                k = prog["outputs"]
                state = ckpt.state()
                v_hat = state["re"] + 1j * state["im"]
                v[:, :k] = ckpt.read("v", (sl, slice(0, k)))
                if log is not None:
                    log(f"spectral {equation.name}: samples {sl.start}-{sl.stop - 1} resume at output {k} of {T}")
            else:
                k = 0
                v_hat = np.fft.rfft(
                    random_initial_conditions(seeds[sl], equation.length, n_fine, n_modes, k_max, amplitude, k_min),
                    axis=-1,
                )
            done = int(steps[k - 1]) if k else 0
            while k < T:
                stop = 1 if k == 0 else min(k + step_every, T)  # the warm-up alone is the first chunk
                for j in range(k, stop):
                    v_hat = solver.advance(v_hat, steps[j] - done)
                    done = int(steps[j])
                    v[:, j] = np.fft.irfft(v_hat, n=n_fine, axis=-1)
                    solver.check(v[:, j], t_out[j])
                if ckpt is not None:
                    ckpt.commit(
                        {"v": ((sl, slice(k, stop)), v[:, k:stop])},
                        {"re": v_hat.real, "im": v_hat.imag},
                        {"batch_start": start, "outputs": stop},
                    )
                if log is not None and (stop == T or stop % max(1, T // 10) < (stop - k)):
                    log(
                        f"spectral {equation.name}: samples {sl.start}-{sl.stop - 1}, output {stop} of {T} "
                        f"(t = {t_out[stop - 1]:g})"
                    )
                k = stop
                n_chunks += 1
                if stop_after is not None and n_chunks >= stop_after and (k < T or sl.stop < S):
                    raise InterruptedError(f"stopped after {n_chunks} chunks (stop_after)")
            if ckpt is not None:  # the batch is done: a restart skips it
                ckpt.commit({}, {"re": v_hat.real, "im": v_hat.imag}, {"batch_start": sl.stop, "outputs": 0})
        v_all.append(v)
        d_all.append(solver.time_derivative(v))
        if log is not None:
            log(f"spectral {equation.name}: samples {sl.start}-{sl.stop - 1} done")
    return np.concatenate(v_all), np.concatenate(d_all)
