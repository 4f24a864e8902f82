"""How a P3 fit is optimised (Delgadillo, Hu, Yang, Sect. 5.2), as small frozen dataclasses.

* The pipeline's two protocols of every fit, read from a settings file: the paper's Adam
  (:class:`AdamProtocol`) and the converged optimum of the same ansatz (:class:`ConvergedProtocol`).
* The phases that :func:`coarsepde.kinetic.training.fit` runs, in this order, each optional:
  :class:`AdamSettings` (also one fit of the batched engine, :mod:`coarsepde.kinetic.engine`),
  :class:`LeastSquares`, :class:`Lbfgs`; the :class:`Penalties` added to the data term, and what a run
  records (:class:`Monitor`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = [
    "PROTOCOLS",
    "AdamProtocol",
    "ConvergedProtocol",
    "protocols_from_settings",
    "AdamSettings",
    "LeastSquares",
    "Lbfgs",
    "Penalties",
    "Monitor",
]

PROTOCOLS = ("adam", "converged")


@dataclass(frozen=True)
class AdamProtocol:
    """The paper's optimizer: Adam (TF defaults) on the L1 loss for ``steps`` steps at ``lr``, on
    ``batch_windows`` random time windows per step (None = all), history every ``history_every`` steps."""

    steps: int
    lr: float = 1e-3
    batch_windows: int | None = None
    history_every: int = 100


@dataclass(frozen=True)
class ConvergedProtocol:
    """Least squares (``lsq_steps`` evaluations; for ARS(2,2,2)/RK4 the inner budget of ``gn_iterations``
    Gauss-Newton steps on every ``window_every``-th window), then ``lbfgs_steps`` of L-BFGS on the L1 loss;
    ``from_init``: also start from the authors' initialisation (linear multistep schemes; ARS(2,2,2) and RK4
    start from the warm start when one is given, else from the Adam end)."""

    lsq_steps: int = 300
    gn_iterations: int = 4
    window_every: int = 1
    lbfgs_steps: int = 200
    from_init: bool = True

    def least_squares(self) -> LeastSquares:
        """Its least-squares phase."""
        return LeastSquares(self.lsq_steps, self.gn_iterations)

    def lbfgs(self, restarts: int = 1) -> Lbfgs | None:
        """Its L-BFGS phase on the paper's L1 loss (None when ``lbfgs_steps`` is 0)."""
        return Lbfgs(self.lbfgs_steps, ("l1",), restarts) if self.lbfgs_steps else None


def protocols_from_settings(
    settings: Mapping[str, Mapping[str, Mapping]],
) -> tuple[dict[str, AdamProtocol], dict[str, ConvergedProtocol]]:
    """Per-scheme protocols from a settings mapping ``{"adam": {scheme: {...}}, "converged": {scheme: {...}}}``
    whose entries are the fields of :class:`AdamProtocol` / :class:`ConvergedProtocol` (``batch_windows``
    0 or None: every window). An unknown or missing field is a ``TypeError`` naming it."""
    adam, converged = {}, {}
    for scheme, a in settings["adam"].items():
        a = dict(a)
        a["batch_windows"] = int(a.get("batch_windows") or 0) or None
        kinds = {"steps": int, "lr": float, "history_every": int}
        adam[scheme] = AdamProtocol(**{k: kinds[k](v) if k in kinds else v for k, v in a.items()})
    for scheme, c in settings["converged"].items():
        converged[scheme] = ConvergedProtocol(**{k: bool(v) if k == "from_init" else int(v) for k, v in c.items()})
    return adam, converged


NORMS = ("l1", "l2")


@dataclass(frozen=True)
class AdamSettings:
    """Adam (TF defaults: betas (0.9, 0.999), eps 1e-8) for ``steps`` steps at ``lr`` on the data term +
    penalties; ``batch_windows`` random time windows per step (Sect. 5.2's stochastic variant, drawn from a
    generator seeded with ``seed``; None = every window); a history record every ``history_every`` steps."""

    steps: int
    lr: float = 1e-3
    batch_windows: int | None = None
    history_every: int = 100
    seed: int = 0

    def __post_init__(self):
        if self.steps < 0 or not self.lr > 0 or self.history_every < 1:
            raise ValueError(f"invalid Adam settings {self}")
        if self.batch_windows is not None and self.batch_windows < 1:
            raise ValueError(f"batch_windows must be None (every window) or >= 1, got {self.batch_windows}")

    @classmethod
    def from_protocol(cls, protocol: AdamProtocol, seed: int = 0) -> AdamSettings:
        """From the pipeline's :class:`AdamProtocol`."""
        return cls(protocol.steps, protocol.lr, protocol.batch_windows, protocol.history_every, seed)


@dataclass(frozen=True)
class LeastSquares:
    """A trust-region least-squares solve of the l2 data term: at most ``steps`` residual evaluations (for the
    schemes nonlinear in F, ARS(2,2,2) and RK4, the inner budget of each of at most ``gn_iterations``
    Gauss-Newton steps in coefficient space; unused by the linear multistep schemes)."""

    steps: int = 300
    gn_iterations: int = 4

    def __post_init__(self):
        if self.steps < 1 or self.gn_iterations < 0:
            raise ValueError(f"invalid least-squares settings {self}")


@dataclass(frozen=True)
class Lbfgs:
    """torch L-BFGS (strong-Wolfe line search) for at most ``steps`` iterations per run, on each norm of
    ``norms`` in turn (e.g. ("l2", "l1"): the smooth problem first, then the paper's L1 loss from its optimum);
    ``restarts`` extra runs with a fresh curvature history per norm while the previous run lowered the loss;
    ``history`` curvature pairs; a history record every ``history_every`` loss evaluations."""

    steps: int
    norms: tuple[str, ...] = ("l1",)
    restarts: int = 2
    history: int = 50
    history_every: int = 100

    def __post_init__(self):
        if self.steps < 1 or self.restarts < 0 or self.history < 1 or self.history_every < 1:
            raise ValueError(f"invalid L-BFGS settings {self}")
        if not self.norms or any(n not in NORMS for n in self.norms):
            raise ValueError(f"L-BFGS norms must be a non-empty sequence of {NORMS}, got {self.norms!r}")


@dataclass(frozen=True)
class Penalties:
    """gamma of the l1 sparsity penalty (Eq. 4.17 / 5.16; ``reduction`` "sum" or the notebook's per-tensor
    "mean"), the weight of the <g> = 0 penalty (Eq. 4.15), and gamma of the continuity penalty
    ||grad_x theta(x)||_1 of x-dependent parameters (Eq. 4.18; not in the batched engine)."""

    sparsity: float = 0.0
    reduction: str = "sum"
    mean_zero: float = 0.0
    continuity: float = 0.0

    def __post_init__(self):
        if self.reduction not in ("sum", "mean"):
            raise ValueError(f"reduction must be 'sum' or 'mean', got {self.reduction!r}")
        if min(self.sparsity, self.mean_zero, self.continuity) < 0:
            raise ValueError(f"penalty weights must be >= 0, got {self}")


@dataclass(frozen=True)
class Monitor:
    """What a run records beside its loss: Error% (Eq. 6.2) and eps_pred when ``eps_true`` is given (with the
    true ``sigma_s``), and a ``log`` callable(str) for every record."""

    eps_true: float | None = None
    sigma_s: float = 1.0
    log: Callable[[str], None] | None = None
