"""The fitting schemes' residuals as maps from a model's coefficients to the structured arrays' weights.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs" (Sect. 4, Appendix 8).
A model's explicit part is F = sum_w c_w w(g, rho) over its words (:class:`~coarsepde.kinetic.engine.stack.ModelStack`)
and its relaxation sigma_hat; every residual below is written as sum_q theta_q F_q + sum_p beta_p v^{a_p} (x) X_{f_p}
over the arrays of a :class:`~coarsepde.kinetic.engine.structure.Layout` (all computed from the data once), so a
step costs only (theta, beta) from (c, sigma_hat), a few small tensor operations, and the fused data pass.

* :class:`LinearTerms`, the linear multistep forms (:class:`~coarsepde.kinetic.fitting.LinearStencil`: FE, BE,
  IMEX1, IMEX-BDF-q): K = sum_i a_i g^{n+i} - dt sum_w c_w sum_i c_i w^{n+i} + dt sigma_hat sum_i s_i g^{n+i};
  linear in (c, sigma_hat).
* :class:`ARSTerms`, IMEX-ARS(2,2,2) with the known flux (:func:`~coarsepde.kinetic.rk_fits.ars222`), expanded:
  with d = 1 + dt gamma sigma_hat, g2 = (g^n + dt gamma F1) / d, r2 = rho^n - dt gamma <A g2>, F1 = F(g^n, rho^n),

      g3 = [g^n + dt delta F1 + dt (1 - delta) F(g2, r2) - dt (1 - gamma) sigma_hat g2] / d,   K = g^{n+1} - g3.

  F(g2, r2) = sum_{w on rho} c_w w(rho^n) + sum_o o_o o(g2) with the outer words o = the g-words (o_o = c_w) and
  w P A for the rho-words (o_o = -dt gamma c_w), and o(g2) = [o(g^n) + dt gamma sum_u c_u (o o u)] / d: K is a
  quadratic polynomial in c with rational weights in sigma_hat over the composed words o o u, all evaluated on the
  data once. The implicit part (the division by d, the flux) is weight-independent apart from the scalar d:
  no solve per step.

Both also give the <g> = 0 penalty's field dt <F(g^n, rho^n)> (Eq. 4.15) as weights over x-arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from coarsepde.kinetic.engine.structure import Full, Layout, canonical, compose
from coarsepde.kinetic.fitting import LinearStencil
from coarsepde.kinetic.polynomial import Term
from coarsepde.numerics.imex import ARS222, IMEXTableau

__all__ = ["LinearTerms", "ARSTerms"]

DTYPE = torch.float64


class _Terms:
    """Bookkeeping shared by the schemes: terms registered on the layout, then turned into matrices."""

    def __init__(self, words: Sequence[Term], layout: Layout, live, mean_zero: bool):
        self.words, self.layout = list(words), layout
        self.live = [bool(x) for x in live]
        self.entries: list[tuple[int, tuple, float]] = []  # (row, ("full", q) | ("x", pair), factor)
        self.mz: list[tuple[int, int, float]] = []  # (word, x index, factor) of the <g> = 0 field
        stencil0 = (1.0,) + (0.0,) * layout.span
        for w, t in enumerate(self.words):
            if self.live[w] and mean_zero:
                can = canonical(t)
                if isinstance(can, Full):
                    self.mz.append((w, layout.rank1(stencil0, ("g", can.k), 0), 1.0))
                else:
                    f = layout.rank1(stencil0, can.base, can.e)
                    self.mz.append((w, f, self._const(can.moments + (can.a,))))

    def _const(self, moments) -> float:
        out = 1.0
        for j in moments:
            out *= self.layout.moment(j)
        return out

    def _register(self, row: int, term: Term, stencil, factor: float) -> None:
        can = canonical(term)
        if isinstance(can, Full):
            self.entries.append((row, ("full", self.layout.full(stencil, can.k)), factor))
        else:
            f = self.layout.rank1(stencil, can.base, can.e)
            p = self.layout.pair(can.a, f)
            self.entries.append((row, ("x", p), factor * self._const(can.moments)))

    def _matrix(self, rows: int) -> torch.Tensor:
        """(rows, Q + P) from the entries (after the layout is final)."""
        Q = len(self.layout.full_keys)
        out = torch.zeros(rows, Q + len(self.layout.pairs), dtype=DTYPE)
        for row, key, factor in self.entries:
            out[row, key[1] if key[0] == "full" else Q + key[1]] += factor
        return out

    def finalize(self) -> None:
        """Build the matrices once every fit of the pool has registered its arrays."""
        lay = self.layout
        Q, nf = len(lay.full_keys), len(lay.x_keys)
        self.Q, self.nf = Q, nf
        self.mz_matrix = torch.zeros(len(self.words), nf, dtype=DTYPE)
        for w, f, factor in self.mz:
            self.mz_matrix[w, f] += factor
        self._finalize()

    def split(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(theta (B, Q), beta (B, P)) from the flat weights (B, Q + P)."""
        return z[:, : self.Q], z[:, self.Q :]

    def mean_zero_weights(self, c: torch.Tensor, dt: float) -> torch.Tensor:
        """(B, n_f): dt <F(g^n, rho^n)> = sum_f weights_f X_f (the <g> = 0 field of Eq. 4.15)."""
        return dt * (c @ self.mz_matrix)


class LinearTerms(_Terms):
    """A linear multistep residual (module docstring) for models with the given words (``live``: the words whose
    coefficient is not structurally zero)."""

    def __init__(self, words, stencil: LinearStencil, layout: Layout, dt: float, live, mean_zero: bool = False):
        super().__init__(words, layout, live, mean_zero)
        if stencil.span != layout.span:
            raise ValueError("the stencil and the layout must span the same window")
        self.dt = float(dt)
        self.q_y = layout.full(stencil.a, 0)
        self.q_z = layout.full(stencil.s, 0) if any(stencil.s) else None
        for w, t in enumerate(self.words):
            if self.live[w] and any(stencil.c):
                self._register(w, t, stencil.c, -self.dt)

    def _finalize(self) -> None:
        self.matrix = self._matrix(len(self.words))
        self.constant = torch.zeros(self.matrix.shape[1], dtype=DTYPE)
        self.constant[self.q_y] = 1.0
        self.sigma_row = torch.zeros_like(self.constant)
        if self.q_z is not None:
            self.sigma_row[self.q_z] = self.dt

    def weights(self, c: torch.Tensor, sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(theta, beta) of the residual for coefficients c (B, W) and relaxations sigma (B,)."""
        z = c @ self.matrix + self.constant + sigma[:, None] * self.sigma_row
        return self.split(z)


def _ars_coefficients(tab: IMEXTableau) -> tuple[float, float]:
    """(gamma, delta) of an ARS(2,2,2)-shaped tableau, else ValueError."""
    g, d = float(tab.a_im[1, 1]), float(tab.a_ex[2, 0])
    ref_ex = [[0, 0, 0], [g, 0, 0], [d, 1 - d, 0]]
    ref_im = [[0, 0, 0], [0, g, 0], [0, 1 - g, g]]
    if tab.stages != 3 or not tab.stiffly_accurate or tab.a_ex.tolist() != ref_ex or tab.a_im.tolist() != ref_im:
        raise ValueError(f"the expanded IMEX-RK residual needs the ARS(2,2,2) form, got {tab.name}")
    return g, d


class ARSTerms(_Terms):
    """The expanded ARS(2,2,2) residual with the known flux -<v d_x g> (module docstring); sigma_A = G = 0."""

    def __init__(
        self,
        words,
        layout: Layout,
        dt: float,
        live,
        mean_zero: bool = False,
        tableau: IMEXTableau = ARS222,
        odd: bool = True,
    ):
        super().__init__(words, layout, live, mean_zero)
        if layout.span != 1:
            raise ValueError("ARS(2,2,2) relates one step")
        self.dt = float(dt)
        self.gamma, self.delta = _ars_coefficients(tableau)
        W = len(self.words)
        flux = Term(("P", "A"), "g")
        outer: dict[Term, int] = {}
        omat: list[tuple[int, int, float]] = []
        for w, t in enumerate(self.words):
            if not self.live[w]:
                continue
            o = t if t.field == "g" else compose(t.word, flux, odd)
            if o is not None:
                omat.append((w, outer.setdefault(o, len(outer)), 1.0 if t.field == "g" else -self.dt * self.gamma))
        ext: dict[Term, int] = {Term((), "g"): 0}

        def idx(t):
            return ext.setdefault(t, len(ext))

        live_words = [w for w in range(W) if self.live[w]]
        self.rows_c = [(w, idx(self.words[w])) for w in live_words]
        self.rows_rho = [(w, e) for w, e in self.rows_c if self.words[w].field == "rho"]
        self.rows_o = [(o, idx(t)) for t, o in outer.items()]
        self.rows_q = []
        for t, o in outer.items():
            for u in live_words:
                comp = compose(t.word, self.words[u], odd)
                if comp is not None:
                    self.rows_q.append((o * W + u, idx(comp)))
        self.O, self.E = len(outer), len(ext)
        self.omat = torch.zeros(W, self.O, dtype=DTYPE)
        for w, o, f in omat:
            self.omat[w, o] += f
        s = (1.0, 0.0)
        self.q_y = layout.full((0.0, 1.0), 0)
        for t, e in ext.items():
            self._register(e, t, s, -1.0)
        self.ext = list(ext)

    def _finalize(self) -> None:
        W, E = len(self.words), self.E
        self.matrix = self._matrix(E)
        self.constant = torch.zeros(self.matrix.shape[1], dtype=DTYPE)
        self.constant[self.q_y] = 1.0
        self.tc, self.tr = torch.zeros(W, E, dtype=DTYPE), torch.zeros(W, E, dtype=DTYPE)
        for w, e in self.rows_c:
            self.tc[w, e] = 1.0
        for w, e in self.rows_rho:
            self.tr[w, e] = 1.0
        self.to = torch.zeros(self.O, E, dtype=DTYPE)
        for o, e in self.rows_o:
            self.to[o, e] += 1.0
        self.tq = torch.zeros(self.O * W, E, dtype=DTYPE)
        for ow, e in self.rows_q:
            self.tq[ow, e] += 1.0

    def kappa(self, c: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """(B, E): g3 = sum_e kappa_e e(data) over the composed words ``ext`` (module docstring)."""
        dt, gam, dl = self.dt, self.gamma, self.delta
        d = 1.0 + dt * gam * sigma
        d2 = d * d
        a0 = 1.0 / d - dt * (1.0 - gam) * sigma / d2
        a1 = dt * dl / d - dt * (1.0 - gam) * sigma * (dt * gam) / d2
        a2 = dt * (1.0 - dl) / d
        a3 = dt * (1.0 - dl) / d2
        a4 = dt * (1.0 - dl) * (dt * gam) / d2
        o = c @ self.omat
        q = (o[:, :, None] * c[:, None, :]).reshape(c.shape[0], -1) @ self.tq
        k = a1[:, None] * (c @ self.tc) + a2[:, None] * (c @ self.tr) + a3[:, None] * (o @ self.to) + a4[:, None] * q
        return torch.cat([k[:, :1] + a0[:, None], k[:, 1:]], 1)

    def weights(self, c: torch.Tensor, sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(theta, beta) of K = g^{n+1} - g3 for coefficients c (B, W) and relaxations sigma (B,)."""
        return self.split(self.kappa(c, sigma) @ self.matrix + self.constant)
