"""The batched fitting engine: many DC-RNN fits on one data set trained as one tensor program.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs" (Sects. 4, 5.2).
Every fit of Tables 1-11 and Fig. 4 at one eps (schemes, ansatz orders M, layers K, regularisations) minimises the
L1 residual of a fitting scheme over the same snapshots with a handful of weights. :class:`BatchedFits` runs
them together:

* the models are grouped by architecture into :class:`~coarsepde.kinetic.engine.stack.ModelStack` (parameters
  stacked along a leading model dimension, word coefficients of all models in one batched pass);
* the fits are grouped by (scheme, norm) into pools sharing one :class:`~coarsepde.kinetic.engine.structure.Layout`
  (the scheme's arrays, computed from the data once) and one fused data pass per step
  (:func:`~coarsepde.kinetic.engine.kernel.fused_loss`; the residual maps of
  :mod:`~coarsepde.kinetic.engine.residuals` give each model's weights);
* each model has its own Adam state (:class:`~coarsepde.kinetic.engine.adam.StackedAdam`, torch.optim.Adam's update
  per model), learning rate, step budget, window sampling and penalties.

A fit here follows, up to round-off, the trajectory of :func:`coarsepde.kinetic.training.fit` with the same Adam
settings (its Adam phase; no least-squares or L-BFGS phase), and its history records the same quantities (the
objective before the update at every ``history_every``-th step, over all windows, and after the last update).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import torch

from coarsepde.kinetic.engine import checkpoint
from coarsepde.kinetic.engine.adam import StackedAdam
from coarsepde.kinetic.engine.kernel import fused_loss, reference_loss
from coarsepde.kinetic.engine.protocol import EngineOptions, FitTask
from coarsepde.kinetic.engine.residuals import ARSTerms, LinearTerms
from coarsepde.kinetic.engine.stack import ModelStack, architecture
from coarsepde.kinetic.engine.structure import Layout
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.polynomial import Term
from coarsepde.kinetic.schemes import get_scheme
from coarsepde.kinetic.scoring import PHYSICAL_TERMS, error_percent
from coarsepde.kinetic.training import FitHistory

__all__ = ["live_words", "BatchedFits", "fit_batched"]

DTYPE = torch.float64


def live_words(stack: ModelStack, draws: int = 2, seed: int = 12345) -> torch.Tensor:
    """(W,) bool: the words whose coefficient is not structurally zero (nonzero for random weights)."""
    gen = torch.Generator().manual_seed(seed)
    live = torch.zeros(len(stack.words), dtype=torch.bool)
    with torch.no_grad():
        for _ in range(draws):
            flat = torch.randn(stack.numel, generator=gen, dtype=DTYPE)
            live |= (stack.coefficients(stack.views(flat))[0] != 0).any(0)
    return live


class _Pool:
    """Fits of one (scheme, norm): the layout, and per member stack its residual map and rows."""

    def __init__(self, data: FitData, scheme, norm: str):
        self.scheme, self.norm = scheme, norm
        self.layout = Layout(data, scheme.span)
        self.members: list[tuple[int, list[int], object]] = []  # (stack, rows in the stack, terms)
        self.tasks: list[int] = []


class BatchedFits:
    """All ``tasks`` on ``data`` (module docstring); :meth:`run` trains them and returns one FitHistory per task
    (``adam_seconds`` = the wall time of the whole run, shared, summed over resumed parts; ``finished`` False when
    it stopped early at :attr:`EngineOptions.stop_at`)."""

    def __init__(self, data: FitData, tasks: Sequence[FitTask], options: EngineOptions | None = None):
        self.data, self.tasks, self.options = data, list(tasks), options or EngineOptions()
        odd = data.ops.odd_moments_vanish
        by_arch: dict[tuple, list[int]] = {}
        for t, task in enumerate(self.tasks):
            by_arch.setdefault(architecture(task.model), []).append(t)
        self.stacks, self.where = [], {}
        for idxs in by_arch.values():
            for r, t in enumerate(idxs):
                self.where[t] = (len(self.stacks), r)
            self.stacks.append(ModelStack([self.tasks[t].model for t in idxs], odd))
        self.offsets = [0]
        for st in self.stacks:
            self.offsets.append(self.offsets[-1] + st.numel)
        self.owner = torch.cat([torch.tensor(self._rows(s))[st.rows()] for s, st in enumerate(self.stacks)])
        #: per entry of the flat vector: W = scale theta (FitTask.weight_scale on block weights, 1 elsewhere)
        self.scale = torch.cat([self._scale(s, st) for s, st in enumerate(self.stacks)])
        #: per stack (B, W): the true-sign coefficient of each word is sign x the model's (FitTask.convention)
        self.signs = [self._signs(s, st) for s, st in enumerate(self.stacks)]
        #: every model's trained parameters theta = W / scale, one flat leaf
        self.flat = (torch.cat([st.initial for st in self.stacks]) / self.scale).requires_grad_(True)
        live = [live_words(s) for s in self.stacks]
        pools: dict[tuple[str, str], _Pool] = {}
        for t, task in enumerate(self.tasks):
            sch = get_scheme(task.scheme)
            if sch.stencil is None and sch.name != "ars222":
                raise ValueError(f"the batched engine has no residual for scheme {sch.name!r}")
            pools.setdefault((sch.name, task.norm), _Pool(data, sch, task.norm)).tasks.append(t)
        self.pools = list(pools.values())
        for pool in self.pools:
            for s, stack in enumerate(self.stacks):
                ts = [t for t in pool.tasks if self.where[t][0] == s]
                if not ts:
                    continue
                mz = any(self.tasks[t].penalties.mean_zero for t in ts)
                if pool.scheme.name == "ars222":
                    terms = ARSTerms(stack.words, pool.layout, data.dt, live[s], mean_zero=mz, odd=odd)
                else:
                    terms = LinearTerms(stack.words, pool.scheme.stencil, pool.layout, data.dt, live[s], mean_zero=mz)
                pool.members.append((s, [self.where[t][1] for t in ts], terms))
            pool.tasks = [t for s, _, _ in pool.members for t in pool.tasks if self.where[t][0] == s]
            pool.layout.build()
            for _, _, terms in pool.members:
                terms.finalize()
            pool.mz = torch.tensor([self.tasks[t].penalties.mean_zero for t in pool.tasks], dtype=DTYPE)

    # -- one evaluation of every objective -----------------------------------------------------------
    def objectives(self, masks: dict[int, torch.Tensor]) -> tuple[torch.Tensor, list]:
        """Objective per task (n_tasks,) on the windows of ``masks`` (task -> (N,) 0/1; a task without a mask
        is not evaluated: 0), differentiable; and per stack (c, sigma_hat, eps_pred)."""
        weights = self.flat * self.scale
        params = [st.views(weights[self.offsets[s] : self.offsets[s + 1]]) for s, st in enumerate(self.stacks)]
        coef = []
        for st, p, sign in zip(self.stacks, params, self.signs):
            c, sig, eps = st.coefficients(p)
            coef.append((c * sign, sig, eps))
        out = torch.zeros(len(self.tasks), dtype=DTYPE)
        nv, nx = self.data.g.shape[1:]
        for pool in self.pools:
            N = pool.layout.N
            mask = torch.stack([masks.get(t, torch.zeros(N, dtype=DTYPE)) for t in pool.tasks])
            count = mask.sum(1, keepdim=True).clamp(min=1.0)
            thetas, betas, mzw = [], [], []
            for s, rows, terms in pool.members:
                c, sig, _ = coef[s]
                th, be = terms.weights(c[rows], sig[rows])
                thetas.append(th)
                betas.append(be)
                if terms.mz:
                    mzw.append(terms.mean_zero_weights(c[rows], self.data.dt))
                else:
                    mzw.append(torch.zeros(len(rows), len(pool.layout.x_keys), dtype=DTYPE))
            theta, beta = torch.cat(thetas), torch.cat(betas)
            lay = pool.layout
            omega = mask / (count * (nv * nx))
            loss_fn = fused_loss if self.options.kernel == "fused" else reference_loss
            loss = loss_fn(theta, beta, lay.F, lay.X, lay.V, lay.pa, lay.pf, omega, pool.norm)
            out = out.index_add(0, torch.tensor(pool.tasks), loss)
            rows = torch.nonzero(pool.mz).flatten()
            if rows.numel():  # the <g> = 0 field dt <F(g^n, rho^n)> of the models that have the penalty
                nf, N = lay.X.shape[0], lay.N
                m = (torch.cat(mzw)[rows] @ lay.X.reshape(nf, -1)).reshape(-1, N, nx)
                e = m.abs() if pool.norm == "l1" else m * m
                mz = pool.mz[rows] * (e.sum(2) * (mask[rows] / (count[rows] * nx))).sum(1)
                out = out.index_add(0, torch.tensor(pool.tasks)[rows], mz)
        for s, stack in enumerate(self.stacks):
            pen = self._sparsity(stack, s, params[s])
            if pen is not None:
                out = out.index_add(0, torch.tensor(self._rows(s)), pen)
        return out, coef

    def _scale(self, s: int, stack: ModelStack) -> torch.Tensor:
        ts = self._rows(s)
        w = torch.tensor([float(self.tasks[t].weight_scale) for t in ts], dtype=DTYPE)
        parts = []
        for name, shape in stack.shapes.items():
            per = w if name.startswith("blocks") else torch.ones(stack.B, dtype=DTYPE)
            parts.append(per[:, None].expand(stack.B, math.prod(shape[1:])).reshape(-1))
        # the flat layout is tensor by tensor, each (B, ...) row-major: model b's entries of a tensor are contiguous
        return torch.cat(parts)

    def _signs(self, s: int, stack: ModelStack) -> torch.Tensor:
        flip = torch.tensor([(-1.0) ** (w.word.count("A") + 1) for w in stack.words], dtype=DTYPE)
        rows = [flip if self.tasks[t].convention == "notebook" else torch.ones_like(flip) for t in self._rows(s)]
        return torch.stack(rows)

    def _rows(self, s: int) -> list[int]:
        """The tasks of stack s in row order."""
        return [t for _, t in sorted((self.where[t][1], t) for t in self.where if self.where[t][0] == s)]

    def _sparsity(self, stack: ModelStack, s: int, params: dict):
        """gamma ||theta||_1 per model of stack s (Eq. 4.17; "mean": the sum over tensors of mean |W|), or None."""
        ts = self._rows(s)
        gam = torch.tensor([self.tasks[t].penalties.sparsity for t in ts], dtype=DTYPE)
        if not bool((gam != 0).any()):
            return None
        mean = torch.tensor([self.tasks[t].penalties.reduction == "mean" for t in ts])
        total = torch.zeros(stack.B, dtype=DTYPE)
        for p in stack.regularizable(params):
            if p.dim() == 1:  # w_S: one scalar per model
                total = total + p.abs()
                continue
            a = p.abs().reshape(stack.B, p.shape[1], -1)  # (model, order m, weights of one block tensor)
            total = total + torch.where(mean, a.mean(-1).sum(-1), a.sum(-1).sum(-1))
        return gam * total

    def work(self) -> list[dict]:
        """Per pool: its scheme, models B, arrays (Q full, n_f x, P pairs, n_a v-powers), and the floating-point
        operations and bytes of the arrays of one full-batch forward + backward data pass (the minimum: every
        array read once; per point and model 2 (Q + n_a) multiply-adds forward, as many backward, and the sign)."""
        out = []
        for pool in self.pools:
            lay = pool.layout
            B, (Q, N, nv, nx) = len(pool.tasks), lay.F.shape
            nf, P, na = lay.X.shape[0], len(lay.pairs), lay.n_a
            flops = B * N * nv * nx * (4 * (Q + na) + 3) + B * N * nx * 4 * P
            nbytes = 8 * (Q * N * nv * nx + nf * N * nx)
            out.append(dict(scheme=pool.scheme.name, B=B, Q=Q, nf=nf, P=P, na=na, flops=flops, bytes=nbytes))
        return out

    # -- bookkeeping ---------------------------------------------------------------------------------
    def _scores(self, t: int, coef) -> tuple[float, float]:
        s, r = self.where[t]
        c, sig, eps = (x.detach() for x in coef[s])
        index = {w: i for i, w in enumerate(self.stacks[s].words)}

        def word(term: Term) -> float:
            return float(c[r, index[term]]) if term in index else 0.0

        phys = {k: word(term) for k, term in PHYSICAL_TERMS.items()}
        phys["g"] -= float(sig[r])
        task = self.tasks[t]
        return float(error_percent(phys, task.eps_true, task.sigma_s)), float(eps[r])

    def _record(self, hist: FitHistory, t: int, step: int, value: float, coef) -> None:
        hist.iteration.append(int(step))
        hist.phase.append("adam")
        hist.loss.append(float(value))
        task = self.tasks[t]
        if task.eps_true is not None:
            err, eps = self._scores(t, coef)
            hist.error.append(err)
            hist.eps_pred.append(eps)
        if self.options.log:
            extra = (
                f" Error% {hist.error[-1]:.4g} eps_pred {hist.eps_pred[-1]:.4g}" if task.eps_true is not None else ""
            )
            self.options.log(f"[{task.name or t} {task.scheme}] adam {step}: loss {value:.6e}{extra}")

    def run(self) -> list[FitHistory]:
        """Train every task (Adam, module docstring); the models are updated in place."""
        t0 = time.perf_counter()
        tasks = self.tasks
        n_win = {t: self.data.T - get_scheme(task.scheme).span for t, task in enumerate(tasks)}
        gens = {t: torch.Generator().manual_seed(int(task.adam.seed)) for t, task in enumerate(tasks)}
        opt = self.options
        trainable = torch.cat([st.trainable for st in self.stacks])
        adam = StackedAdam(self.flat, self.owner, [task.adam.lr for task in tasks], opt.betas, opt.eps, trainable)
        hist = [FitHistory() for _ in tasks]
        last = max((task.adam.steps for task in tasks), default=0)
        start, before = 0, 0.0
        fp = checkpoint.fingerprint(tasks, self.flat.numel(), self.data) if opt.checkpoint else None
        state = checkpoint.load(opt.checkpoint, fp) if opt.checkpoint else None
        if state is not None:
            start, hist, before = checkpoint.restore(state, self.flat, adam, gens)
            if opt.log:
                opt.log(f"resumed from {opt.checkpoint} at step {start} ({before:.0f} s before)")
        self.finished = True
        for step in range(start, last + 1):
            if opt.checkpoint and step > start and step % opt.checkpoint_every == 0:
                checkpoint.save(
                    opt.checkpoint, step, fp, self.flat, adam, gens, hist, before + time.perf_counter() - t0
                )
                if opt.stop_at is not None and step >= opt.stop_at:
                    self.finished = False
                    break
            masks, full_needed = {}, []
            for t, task in enumerate(tasks):
                a, N = task.adam, n_win[t]
                if step > a.steps or a.steps == 0:
                    continue
                bw = a.batch_windows
                if step < a.steps and bw is not None and bw < N:
                    m = torch.zeros(N, dtype=DTYPE)
                    m[torch.randperm(N, generator=gens[t])[:bw].sort().values] = 1.0
                    if step % a.history_every == 0:
                        full_needed.append(t)
                else:
                    m = torch.ones(N, dtype=DTYPE)
                masks[t] = m
            adam.zero_grad()
            values, coef = self.objectives(masks)
            values.sum().backward()
            full_vals = None
            if full_needed:
                with torch.no_grad():
                    full_vals, _ = self.objectives({t: torch.ones(n_win[t], dtype=DTYPE) for t in full_needed})
            for t, task in enumerate(tasks):
                a = task.adam
                if t not in masks or not (step % a.history_every == 0 or step == a.steps):
                    continue
                v = full_vals[t] if (full_vals is not None and t in full_needed) else values[t]
                self._record(hist[t], t, step, float(v.detach()), coef)
            active = torch.tensor([step < task.adam.steps for task in tasks])
            if bool(active.any()):
                adam.step(active)
        weights = self.flat.detach() * self.scale
        for s, st in enumerate(self.stacks):
            st.write_back(weights[self.offsets[s] : self.offsets[s + 1]])
        seconds = before + time.perf_counter() - t0
        for h in hist:
            h.adam_seconds = seconds
            h.final_loss = h.loss[-1] if h.loss else float("nan")
            if h.error:
                h.final_error, h.final_eps_pred = h.error[-1], h.eps_pred[-1]
        return hist


def fit_batched(data: FitData, tasks: Sequence[FitTask], options: EngineOptions | None = None) -> list[FitHistory]:
    """Train ``tasks`` on ``data`` together (:class:`BatchedFits`); the models are updated in place."""
    return BatchedFits(data, tasks, options).run()
