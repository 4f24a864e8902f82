"""The 2D heterogeneous lattice of Arbabi et al. 2020, Sect. 5.2 (Eq. 25), its gap-tooth patch
scheme with spectral edge coupling, and the exact spectral solution of homogenized 2D diffusion.

Micro model, Eq. (25), on the bi-periodic [0, 2 pi)^2 with spacing h = 2 pi / N:

    du_{P,Q}/dt = [ cx_{P,Q} (u_{P+1,Q} - u_{P,Q}) + cx_{P-1,Q} (u_{P-1,Q} - u_{P,Q})
                  + cy_{P,Q} (u_{P,Q+1} - u_{P,Q}) + cy_{P,Q-1} (u_{P,Q-1} - u_{P,Q}) ] / h^2,

with cx_{P,Q} the conductance of the x-link (P,Q)->(P+1,Q) and cy that of the y-link, periodic in
both indices with the period of the coefficient matrices (3 in the paper); the alignment of
kappa^x / kappa^y on the lattice is :func:`coarsepde.homogenization.cell_problem.lattice_link_coefficients`.

Gap-tooth scheme (the authors' configuration, shared/reference/arbabi-2020.md Sects. 5.2-5.3):
n x n square patches centred at X_I = (I + 1/2) 2 pi / n, each with 5 x 5 lattice points whose
3 x 3 interior points evolve by Eq. (25); the 4 x 3 edge values are set at every instant by
spectral interpolation across patches of the next-to-edge values, shifted by r patch spacings
(r = 3h / DX: exactly one heterogeneity period), the self-adjoint "edgy" coupling; the macro value
is the mean over the 3 x 3 interior. The scheme is linear, so its evolution over a time step is the
exponential of its (symmetric) Jacobian, computed once by eigendecomposition.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = [
    "full_lattice_operator",
    "full_lattice_solve",
    "PatchScheme2D",
    "homogenized_spectral",
    "modal_decay_rate",
    "sinsin_solution",
    "draw_sinsin_conditions",
    "patch_trajectories",
    "homogenized_patch_averages",
]


def full_lattice_operator(cx_period: np.ndarray, cy_period: np.ndarray, n: int) -> sp.csr_matrix:
    """Sparse matrix of Eq. (25) on the periodic n x n lattice of [0, 2 pi)^2 (h = 2 pi / n), acting
    on u.ravel() with u[P, Q] (P along x). The period arrays are tiled; n must be a multiple of
    their shape."""
    p, q = np.shape(cx_period)
    if n % p or n % q:
        raise ValueError(f"n = {n} must be a multiple of the coefficient period {p}x{q}")
    cx = np.tile(np.asarray(cx_period, float), (n // p, n // q))
    cy = np.tile(np.asarray(cy_period, float), (n // p, n // q))
    h2 = (2 * np.pi / n) ** 2
    idx = np.arange(n * n).reshape(n, n)
    right, up = np.roll(idx, -1, axis=0), np.roll(idx, -1, axis=1)
    rows = np.concatenate([idx.ravel(), right.ravel(), idx.ravel(), up.ravel()])
    cols = np.concatenate([right.ravel(), idx.ravel(), up.ravel(), idx.ravel()])
    vals = np.concatenate([cx.ravel(), cx.ravel(), cy.ravel(), cy.ravel()]) / h2
    A = sp.csr_matrix((vals, (rows, cols)), shape=(n * n, n * n))
    return (A - sp.diags(np.asarray(A.sum(axis=1)).ravel())).tocsr()


def full_lattice_solve(A: sp.csr_matrix, u0: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Exact-in-time solution of du/dt = A u on the full lattice: u0 (B, n, n) -> (T, B, n, n).

    scipy's expm_multiply (truncated Taylor with scaling, for sparse stiff operators) on all B
    initial conditions at once, evaluated on the uniform time grid ``times`` (starting at 0 or later)."""
    from scipy.sparse.linalg import expm_multiply

    u0 = np.asarray(u0, dtype=float)
    B, n = u0.shape[0], u0.shape[-1]
    t = np.asarray(times, dtype=float)
    if t.size > 1 and not np.allclose(np.diff(t), t[1] - t[0]):
        raise ValueError("times must be uniformly spaced")
    out = expm_multiply(A, u0.reshape(B, -1).T, start=t[0], stop=t[-1], num=t.size, endpoint=True)
    return (
        np.asarray(out).reshape(t.size, n, n, B).transpose(0, 3, 1, 2)
        if t.size > 1
        else np.asarray(out).T.reshape(1, B, n, n)
    )


def modal_decay_rate(K: np.ndarray, kx: np.ndarray, ky: np.ndarray) -> np.ndarray:
    """k^T K k: decay rate of the Fourier mode exp(i (kx x + ky y)) under u_t = div(K grad u)."""
    return K[0, 0] * kx**2 + (K[0, 1] + K[1, 0]) * kx * ky + K[1, 1] * ky**2


def homogenized_spectral(u0: np.ndarray, K: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Exact solution of u_t = K_xx u_xx + 2 K_xy u_xy + K_yy u_yy on [0, 2 pi)^2 from grid values.

    u0: (B, M, M) on the uniform grid x_i = i 2 pi / M (first axis x). Each Fourier mode decays at
    its rate k^T K k, so the solution is exact in time and (for trigonometric-polynomial data, such
    as Eq. 28 with integer wavenumbers below M/2) in space. Returns (T, B, M, M).
    """
    u0 = np.asarray(u0, dtype=float)
    M = u0.shape[-1]
    k = np.fft.fftfreq(M, d=1.0 / M)
    KX, KY = np.meshgrid(k, k, indexing="ij")
    rate = modal_decay_rate(np.asarray(K, float), KX, KY)
    U0 = np.fft.fft2(u0)
    return np.stack([np.fft.ifft2(U0 * np.exp(-rate * t)).real for t in np.asarray(times, float)])


class PatchScheme2D:
    """Gap-tooth patches with spectral edge coupling on the periodic lattice (Sect. 5.2).

    n_patches : patches per direction (16 in the paper); lattice_n : lattice points per 2 pi
    (480); cx_period, cy_period : link conductances of one period of the lattice (global indices,
    e.g. from lattice_link_coefficients); the patch spacing lattice_n / n_patches must be a multiple
    of the period so that every patch sees the same microstructure.
    """

    def __init__(self, n_patches: int, lattice_n: int, cx_period: np.ndarray, cy_period: np.ndarray):
        self.n = int(n_patches)
        self.N = int(lattice_n)
        if self.N % self.n:
            raise ValueError("lattice_n must be a multiple of n_patches")
        self.spacing = self.N // self.n  # lattice steps between patch centres (30)
        cxp, cyp = np.asarray(cx_period, float), np.asarray(cy_period, float)
        per = cxp.shape[0]
        if self.spacing % per or cxp.shape != cyp.shape or cxp.shape[0] != cxp.shape[1]:
            raise ValueError("the patch spacing must be a multiple of a square coefficient period")
        self.h = 2 * np.pi / self.N
        self.DX = 2 * np.pi / self.n
        # global index of local point p (0..4) of patch I: centre index (I + 1/2) spacing, offset p - 2
        c0 = self.spacing // 2
        if self.spacing % 2:
            raise ValueError("patch centres must fall on lattice points: use an even spacing")
        loc = (c0 + np.arange(5) - 2) % per  # coefficient phase of local points (same for every patch)
        self.cx = cxp[np.ix_(loc[:4], loc)]  # x-link p -> p+1 at column q: (4, 5)
        self.cy = cyp[np.ix_(loc, loc[:4])]  # y-link q -> q+1 at row p: (5, 4)
        r = 3.0 / self.spacing  # shift of one heterogeneity period, in patch spacings
        k = np.fft.fftfreq(self.n, d=1.0 / self.n)
        k[self.n // 2] = abs(k[self.n // 2]) if self.n % 2 == 0 else k[self.n // 2]  # Nyquist as +n/2
        self._phase_plus = np.exp(2j * np.pi * k * r / self.n)
        self._phase_minus = np.exp(-2j * np.pi * k * r / self.n)
        self.centers = (np.arange(self.n) + 0.5) * self.DX
        self._eig = None

    # ---------------------------------------------------------------------------------------

    def _shift(self, v: np.ndarray, axis: int, plus: bool) -> np.ndarray:
        """Spectral interpolation of values sampled at the patch centres' offsets, shifted by +-r."""
        ph = self._phase_plus if plus else self._phase_minus
        shape = [1] * v.ndim
        shape[axis] = self.n
        return np.fft.ifft(np.fft.fft(v, axis=axis) * ph.reshape(shape), axis=axis).real

    def full_patch(self, u: np.ndarray) -> np.ndarray:
        """Interior values u (B, n, n, 3, 3) -> 5 x 5 patch values with coupled edges (corners 0)."""
        B = u.shape[0]
        w = np.zeros((B, self.n, self.n, 5, 5))
        w[..., 1:4, 1:4] = u
        # right edge (p = 4) from the left next-to-edge values (p = 1), shifted by +r along patches (axis 1)
        w[..., 4, 1:4] = self._shift(u[..., 0, :], axis=1, plus=True)
        w[..., 0, 1:4] = self._shift(u[..., 2, :], axis=1, plus=False)
        w[..., 1:4, 4] = self._shift(u[..., :, 0], axis=2, plus=True)
        w[..., 1:4, 0] = self._shift(u[..., :, 2], axis=2, plus=False)
        return w

    def rhs(self, u: np.ndarray) -> np.ndarray:
        """du/dt of the interior values (B, n, n, 3, 3) by Eq. (25) with coupled edges."""
        w = self.full_patch(u)
        fx = self.cx * (w[..., 1:, :] - w[..., :-1, :])  # flux on x-links (.., 4, 5)
        fy = self.cy * (w[..., :, 1:] - w[..., :, :-1])  # (.., 5, 4)
        div = (fx[..., 1:, 1:4] - fx[..., :-1, 1:4]) + (fy[..., 1:4, 1:] - fy[..., 1:4, :-1])
        return div / self.h**2

    @property
    def size(self) -> int:
        return self.n * self.n * 9

    def jacobian(self) -> np.ndarray:
        """Dense Jacobian of the (linear) scheme, by applying it to every unit vector at once."""
        eye = np.eye(self.size).reshape(self.size, self.n, self.n, 3, 3)
        return self.rhs(eye).reshape(self.size, self.size).T

    def _eigen(self):
        if self._eig is None:
            J = self.jacobian()
            asym = np.abs(J - J.T).max() / np.abs(J).max()
            if asym > 1e-10:
                raise ValueError(f"the coupled patch operator is not symmetric (relative asymmetry {asym:.1e})")
            self._eig = np.linalg.eigh(0.5 * (J + J.T))
        return self._eig

    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of the scheme's Jacobian, ascending (all <= 0)."""
        return self._eigen()[0]

    def evolve(self, u0: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Exact evolution of interior values u0 (B, n, n, 3, 3) to the given times -> (T, B, n, n, 3, 3)."""
        lam, V = self._eigen()
        c0 = u0.reshape(u0.shape[0], -1) @ V
        out = np.stack([(c0 * np.exp(lam * t)) @ V.T for t in np.asarray(times, float)])
        return out.reshape((len(times),) + u0.shape)

    def macro(self, u: np.ndarray) -> np.ndarray:
        """Macro field: mean over each patch's 3 x 3 interior -> (..., n, n)."""
        return u.mean(axis=(-1, -2))

    def micro_coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """x, y of the interior points: arrays (n, 3) each (per patch index along that axis)."""
        off = (np.arange(3) - 1) * self.h
        c = self.centers[:, None] + off[None, :]
        return c, c

    def sample(self, f) -> np.ndarray:
        """Interior values (1, n, n, 3, 3) of a function f(x, y) (broadcasting arrays)."""
        x, y = self.micro_coordinates()
        X = x[:, None, :, None]
        Y = y[None, :, None, :]
        return np.asarray(f(X, Y), dtype=float)[None] * np.ones((1, self.n, self.n, 3, 3))


def sinsin_solution(amp, lx, ly, phx, phy, K, x, y, t, time_derivative: bool = False):
    """Exact homogenized solution (u_t = div(K grad u)) of u0 = sum_j amp_j sin(lx_j x + phx_j) sin(ly_j y + phy_j)
    (Eq. 28) at points x, y (broadcast together) and time t: each product is half the difference of two
    cosines, with wavevectors (lx, -ly) and (lx, ly), decaying at their rates k^T K k. With
    ``time_derivative`` the exact u_t (= div(K grad u)) instead."""
    K = np.asarray(K, dtype=float)
    out = 0.0
    for a, kx, ky, px, py in zip(np.ravel(amp), np.ravel(lx), np.ravel(ly), np.ravel(phx), np.ravel(phy)):
        r_minus = modal_decay_rate(K, kx, -ky)
        r_plus = modal_decay_rate(K, kx, ky)
        fm, fp = (-r_minus, -r_plus) if time_derivative else (1.0, 1.0)
        out = out + 0.5 * a * (
            fm * np.exp(-r_minus * t) * np.cos(kx * x - ky * y + px - py)
            - fp * np.exp(-r_plus * t) * np.cos(kx * x + ky * y + px + py)
        )
    return out


def draw_sinsin_conditions(rng: np.random.Generator, n_traj: int, *, terms: int, amplitude: float, max_wavenumber: int):
    """Eq. (28): a_j ~ U[-amplitude, amplitude], (lx_j, ly_j) uniform on {1..max}^2, phases ~ U[0, 2 pi)^2.
    Returns arrays (n_traj, terms): amp, lx, ly, phx, phy."""
    amp = rng.uniform(-amplitude, amplitude, (n_traj, terms))
    lx = rng.integers(1, max_wavenumber + 1, (n_traj, terms))
    ly = rng.integers(1, max_wavenumber + 1, (n_traj, terms))
    phx = rng.uniform(0, 2 * np.pi, (n_traj, terms))
    phy = rng.uniform(0, 2 * np.pi, (n_traj, terms))
    return amp, lx, ly, phx, phy


def patch_trajectories(ps: PatchScheme2D, ics, times: np.ndarray, K_ic: np.ndarray | None = None, chunk: int = 20):
    """Gap-tooth trajectories from Eq. (28) initial conditions sampled on every patch point.

    Returns macro U (n_traj, T, n, n) and the macro average of the scheme's exact instantaneous
    right-hand side dU/dt (as the authors' targets), computed in chunks of trajectories to bound memory.
    """
    amp, lx, ly, phx, phy = ics
    x, y = ps.micro_coordinates()
    X, Y = x[:, None, :, None], y[None, :, None, :]
    n_traj = amp.shape[0]
    U = np.empty((n_traj, len(times), ps.n, ps.n))
    F = np.empty_like(U)
    for s0 in range(0, n_traj, chunk):
        sl_ = slice(s0, min(n_traj, s0 + chunk))
        u0 = np.stack(
            [
                sinsin_solution(amp[j], lx[j], ly[j], phx[j], phy[j], np.eye(2), X, Y, 0.0)
                for j in range(sl_.start, sl_.stop)
            ]
        )
        u = ps.evolve(u0, times)  # (T, b, n, n, 3, 3)
        U[sl_] = ps.macro(u).transpose(1, 0, 2, 3)
        T, b = u.shape[:2]
        F[sl_] = ps.macro(ps.rhs(u.reshape((T * b,) + u.shape[2:])).reshape(u.shape)).transpose(1, 0, 2, 3)
    return U, F


def homogenized_patch_averages(ps: PatchScheme2D, ics, K: np.ndarray, times: np.ndarray):
    """Exact homogenized solution and u_t, averaged over each patch's 3 x 3 interior points (the same
    restriction as the gap-tooth macro values): (n_traj, T, n, n) each. Vectorized over trajectories,
    terms and times (each Eq. 28 product is two cosines with known decay rates)."""
    amp, lx, ly, phx, phy = (np.asarray(a, dtype=float) for a in ics)
    x, y = ps.micro_coordinates()
    X, Y = x[:, None, :, None], y[None, :, None, :]  # (n, 1, 3, 1), (1, n, 1, 3)
    K = np.asarray(K, dtype=float)
    t = np.asarray(times, dtype=float)
    U = 0.0
    F = 0.0
    for sign, ph in ((-1.0, phx - phy), (1.0, phx + phy)):  # cos(kx x - ky y + ...) and cos(kx x + ky y + ...)
        ky = sign * ly
        rate = modal_decay_rate(K, lx, ky)  # (n_traj, J)
        decay = np.exp(-rate[..., None] * t)  # (n_traj, J, T)
        # patch-interior averages of the cosine of every term: (n_traj, J, n, n)
        arg = (
            lx[..., None, None, None, None] * X + ky[..., None, None, None, None] * Y + ph[..., None, None, None, None]
        )
        cosavg = np.cos(arg).mean(axis=(-1, -2))
        w = 0.5 * amp * (-sign)  # +1/2 for the difference term, -1/2 for the sum term
        U = U + np.einsum("nj,njt,njab->ntab", w, decay, cosavg)
        F = F + np.einsum("nj,njt,njab->ntab", -w * rate, decay, cosavg)
    return U, F


def amplitude_distance(a_model: np.ndarray, a_ref: np.ndarray, near_origin: float = 0.1) -> float:
    """Max over time of ||a_model(t) - a_ref(t)|| / ||a_ref(0)|| while ||a_ref(t)|| > near_origin ||a_ref(0)||
    (Fig. 8b: the learned trajectory in the space of Fourier amplitudes, away from the origin). a_*: (T, m)."""
    a_model, a_ref = np.asarray(a_model, float), np.asarray(a_ref, float)
    r0 = np.linalg.norm(a_ref[0])
    away = np.linalg.norm(a_ref, axis=-1) > near_origin * r0
    return float(np.max(np.linalg.norm(a_model[away] - a_ref[away], axis=-1)) / r0)
