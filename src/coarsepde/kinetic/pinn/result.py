"""The outcome of one PINN fit (DC-RNN Example 6.8, Table 13): learned coefficients, diagnostics, history."""

from __future__ import annotations

from dataclasses import dataclass, field

from coarsepde.kinetic.pinn.networks import PINNModel
from coarsepde.kinetic.pinn.protocol import PINNProtocol
from coarsepde.kinetic.scoring import error_percent

__all__ = ["PINNResult"]


@dataclass
class PINNResult:
    """Outcome of :func:`fit_pinn`. Coefficients are true-sign, keyed by the PHYSICAL_TERMS names.

    history: list of dicts (phase "adam"/"lbfgs", iteration = cumulative optimiser iteration, total, data,
    residual, penalty; data = g + rho terms, all dimensionless as in the module docstring).
    final_losses: the same four numbers on the fixed evaluation sample after training.
    lambdas: the raw lam (plain: {name: lam_i}; pt: {name: [lam_{i,0}, lam_{i,1}, lam_{i,2}]}).
    """

    variant: str
    coefficients: dict[str, float]
    eps_pred: float | None
    lambdas: dict[str, float | list[float]]
    history: list[dict]
    final_losses: dict[str, float]
    lstsq_coefficients: dict[str, float]
    fit_errors: dict[str, float]
    wall_seconds: float
    adam_seconds: float
    protocol: PINNProtocol
    error_percent: float | None = None
    lstsq_error_percent: float | None = None
    eps: float | None = None
    model: PINNModel | None = field(default=None, repr=False)

    def evaluate(self, eps: float) -> PINNResult:
        """Fill Error% (of the learned and of the least-squares coefficients) for the true eps."""
        self.eps = float(eps)
        self.error_percent = float(error_percent(self.coefficients, eps))
        self.lstsq_error_percent = float(error_percent(self.lstsq_coefficients, eps))
        return self

    def summary(self) -> dict:
        """JSON-ready dict (no model, no history)."""
        out = {
            k: getattr(self, k)
            for k in (
                "variant",
                "coefficients",
                "eps_pred",
                "lambdas",
                "final_losses",
                "lstsq_coefficients",
                "fit_errors",
                "wall_seconds",
                "adam_seconds",
                "error_percent",
                "lstsq_error_percent",
                "eps",
            )
        }
        out["protocol"] = self.protocol.to_dict()
        return out
