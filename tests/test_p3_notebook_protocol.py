"""Numbers of the notebook-protocol reconstruction (coarsepde.kinetic.notebook_protocol)."""

import numpy as np
import pytest
import torch

from coarsepde.kinetic.dcrnn import MultiscaleDCRNN
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.fitting import STENCILS, linear_residual
from coarsepde.kinetic.notebook_protocol import (
    FeatureResidual,
    NotebookDCRNN,
    error_percent_of,
    notebook_coefficients,
    notebook_data,
    notebook_loss,
    notebook_residual,
    notebook_window,
)
from coarsepde.kinetic.operators import Operators


@pytest.fixture(scope="module")
def tiny():
    return notebook_data(1.0 / 16, nx=40, stride=4, n_snapshots=8)


def _perturb(m, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(1 + 0.3 * torch.rand(p.shape, generator=gen, dtype=p.dtype))


@pytest.mark.parametrize("M", [0, 2])
def test_features_equal_network(tiny, M):
    m = NotebookDCRNN(M, (1e-3, 0.1))
    _perturb(m)
    r1 = notebook_residual(m, tiny)
    r2 = FeatureResidual(m, tiny).residual(m)
    assert r1.shape == (5, 16, 40)
    assert torch.allclose(r1, r2, rtol=0, atol=1e-12 * float(r1.abs().max()))


def test_matches_pipeline_recurrent_block(tiny):
    """s_A = +1, s_F = -1 is our true-sign convention: equal to the pipeline's RecurrentBlock bdf2 residual."""
    M = 2
    nb = NotebookDCRNN(M, (1e-3, 0.1), adv_sign=1.0)
    ops = Operators(tiny.v.numpy(), tiny.w.numpy(), tiny.dx, "centered")
    ours = MultiscaleDCRNN(("A", "P"), ("A",), K=2, M=M, eps_range=(1e-3, 0.1), operators=ops, block="recurrent")
    fd = FitData(tiny.g, tiny.rho, tiny.dt, ops)
    n = tiny.g.shape[0] - 2
    r_ours = linear_residual(ours, fd, STENCILS["bdf2"])
    r_nb = notebook_residual(nb, tiny, f_sign=-1.0, n_windows=n)
    assert torch.allclose(r_ours, r_nb, rtol=0, atol=1e-10 * float(r_ours.abs().max()))


def test_window_and_initial_loss():
    assert notebook_window(40) == (7, 37)
    d = notebook_data()
    assert d.g.shape == (40, 16, 400) and abs(d.dt - 3.125e-6) < 1e-18
    d = d.window(*notebook_window(40))
    m = NotebookDCRNN(0, (1e-6, 1.0))
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    notebook_loss(m, d).backward()
    opt.step()
    with torch.no_grad():
        # the notebook prints "It: 0, Loss: 6.759e-02" after its first update
        assert float(notebook_loss(m, d)) == pytest.approx(6.759e-2, abs=1e-5)


def test_error_of_notebook_coefficients():
    """Reference facts Sect. 3.6: Table 9 row 1 (M = 0, the notebook's stored coefficients) computes to 99.82 %."""
    c = {"g": -78.78, "v_dx_g": -2.394, "<v_dx_g>": 37.35, "v_dx_rho": -118.38}
    assert error_percent_of(c, 1 / 256) == pytest.approx(99.82, abs=0.01)


def test_coefficients_at_init():
    m = NotebookDCRNN(0, (1e-6, 1.0))
    c = notebook_coefficients(m)
    assert c["v_dx_g"] == pytest.approx(1.5) and c["v_dx_rho"] == pytest.approx(1.5)
    assert c["<v_dx_g>"] == pytest.approx(1.5**2 + 1.5**2 + 1.5**3)
    assert c["g"] == pytest.approx(-1.0)
    assert np.isfinite(error_percent_of(c, 1 / 256))
