"""The two optimisation protocols of every P3 fit (Delgadillo, Hu, Yang, Sect. 5.2): the paper's Adam and the
converged optimum of the same ansatz, as dataclasses, and their construction from a settings file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["PROTOCOLS", "AdamProtocol", "ConvergedProtocol", "protocols_from_settings"]

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
