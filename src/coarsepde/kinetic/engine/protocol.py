"""What one fit of the batched engine is: small frozen dataclasses instead of keyword lists.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs" (Sect. 5.2).
A :class:`FitTask` is a model (a :class:`~coarsepde.kinetic.dcrnn.MultiscaleDCRNN` g-equation, updated in place),
its fitting scheme, its Adam settings and penalties (:class:`~coarsepde.kinetic.protocols.AdamSettings`,
:class:`~coarsepde.kinetic.protocols.Penalties`, shared with :func:`~coarsepde.kinetic.training.fit`) and what to
score it against; :class:`EngineOptions` are the settings shared by every fit of one run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from coarsepde.kinetic.protocols import AdamSettings, Penalties

__all__ = ["AdamSettings", "Penalties", "FitTask", "EngineOptions", "CONVENTIONS"]

CONVENTIONS = ("true", "notebook")


@dataclass
class FitTask:
    """One fit: ``model`` (trained in place), ``scheme`` (a name of :mod:`coarsepde.kinetic.schemes`: fe, be,
    imex1, bdf1..bdf4, ars222), ``adam``, ``penalties``, the data-term ``norm`` ("l1", the paper's, or "l2"),
    and, when ``eps_true`` is given, Error% (Eq. 6.2) and eps_pred in the history. ``name`` labels it.

    The authors' notebook parameterisation (reference facts Sects. 3.1, 3.3; docs/reproductions/
    p3-protocol-reconstruction.md): ``weight_scale`` s writes every block weight as W = s theta and Adam trains theta
    (the notebook's ``1.5 * tf.Variable(ones)``: s = 1.5; w_eps and w_S stay bare); ``convention`` "notebook" is its
    sign convention, A = -v d_x and the explicit term entering the residual with +dt, so the model's word w stands
    for the true-sign coefficient -(-1)^{#A in w} c_w (same optimum, other Adam path from equal weights); "true" is
    ours (A = v d_x, -dt F)."""

    model: object
    scheme: str
    adam: AdamSettings
    penalties: Penalties = field(default_factory=Penalties)
    norm: str = "l1"
    eps_true: float | None = None
    sigma_s: float = 1.0
    name: str = ""
    weight_scale: float = 1.0
    convention: str = "true"

    def __post_init__(self):
        if self.norm not in ("l1", "l2"):
            raise ValueError(f"norm must be 'l1' or 'l2', got {self.norm!r}")
        if self.convention not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}, got {self.convention!r}")
        if not self.weight_scale > 0:
            raise ValueError(f"weight_scale must be positive, got {self.weight_scale}")
        if self.penalties.continuity:
            raise ValueError("the batched engine has no continuity penalty (x-dependent weights): use training.fit")


@dataclass(frozen=True)
class EngineOptions:
    """Shared by all fits of a run: Adam's betas and eps (TF defaults), the data pass ("fused": the compiled
    kernel, "torch": plain autograd, for checks), and a ``log`` callable(str) for the history records.

    Long runs: with a ``checkpoint`` path the run saves its whole state (parameters, Adam moments, window
    generators, histories) every ``checkpoint_every`` steps and resumes from that file when it exists and belongs
    to the same fits (a resumed run gives the bits of an uninterrupted one); ``stop_at`` ends the run early at the
    first checkpoint at or after that step (:attr:`BatchedFits.finished` is then False)."""

    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    kernel: str = "fused"
    log: Callable[[str], None] | None = None
    checkpoint: str | None = None
    checkpoint_every: int = 1000
    stop_at: int | None = None

    def __post_init__(self):
        if self.kernel not in ("fused", "torch"):
            raise ValueError(f"kernel must be 'fused' or 'torch', got {self.kernel!r}")
        if self.checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be >= 1, got {self.checkpoint_every}")
        if self.stop_at is not None and self.checkpoint is None:
            raise ValueError("stop_at needs a checkpoint to resume from")
