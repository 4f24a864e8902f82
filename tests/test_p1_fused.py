"""The compiled paths of P1 (issue 22) against the torch composition they replace: same numbers to round-off.

- the learned models' compiled flux path (``fused``): time derivative and its gradients w.r.t. the weights,
  for every equation, flux form and kind, in float64 (round-off) and float32 (float32 tolerance); Fig. 1's
  interpolation model likewise;
- the compiled midpoint rollout of the time-integrated loss and its adjoint; whole trainings;
- the compiled RK23 loop of the coarse runs (``coarse_driver``) against ``ode.integrate``: trajectories,
  step counts, rejections and divergence times.
"""

import numpy as np
import pytest
import torch

from coarsepde.discretization import coarse_kernels
from coarsepde.discretization.equations import Burgers, Forcing, KdV, KuramotoSivashinsky, draw_forcing
from coarsepde.discretization.interpolation import InterpolationModel
from coarsepde.discretization.losses import rollout_midpoint
from coarsepde.discretization.models import LearnedDiscretization
from coarsepde.discretization.simulate import SolverSettings, baseline, run_coarse
from coarsepde.discretization.training import train

torch.set_num_threads(1)

EQUATIONS = [
    Burgers(flux_form="centered"),
    Burgers(flux_form="godunov"),
    KdV(),
    KdV(flux_form="godunov"),
    KuramotoSivashinsky(),
]
# relative tolerance of "the same numbers": round-off in float64; float32 round-off amplified by the
# flux difference / dx (one float32 ulp is 6e-8)
RTOL = {torch.float64: 1e-12, torch.float32: 2e-5}


def make(eq, kind, n, dtype, seed=1):
    m = LearnedDiscretization(eq, eq.length / n, kind, generator=torch.Generator().manual_seed(seed)).to(dtype)
    if kind == "constant":
        with torch.no_grad():
            m.z.copy_(0.05 * torch.randn(m.z.shape, generator=torch.Generator().manual_seed(seed)))
    return m


def smooth(b, n, seed, amp=0.5):
    rng = np.random.default_rng(seed)
    x = np.arange(n) * 2 * np.pi / n
    return torch.tensor(sum(rng.normal(0, amp, (b, 1)) * np.sin(k * x + rng.uniform(0, 6, (b, 1))) for k in (1, 2, 3)))


def both(model, fn):
    """fn() with the compiled path off, then on: (reference, compiled)."""
    out = []
    for fused in (False, True):
        model.fused = fused
        model.zero_grad()
        out.append(fn())
    return out


def rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("kind", ["cnn", "constant"])
@pytest.mark.parametrize("eq", EQUATIONS, ids=lambda e: f"{e.name}-{e.flux_form}")
def test_fused_time_derivative_and_gradients(eq, kind, dtype):
    n = 32
    model = make(eq, kind, n, dtype)
    v, y = smooth(7, n, 0).to(dtype), smooth(7, n, 1).to(dtype)

    def loss_and_grads():
        d = model.time_derivative(v)
        torch.mean((d - y) ** 2).backward()
        return d.detach().clone(), [p.grad.clone() for p in model.parameters()]

    (d0, g0), (d1, g1) = both(model, loss_and_grads)
    assert rel(d1, d0) < RTOL[dtype]
    for a, b in zip(g1, g0):
        assert rel(a, b) < RTOL[dtype]
    # inference (no autograd graph): the same numbers
    with torch.inference_mode():
        (i0, i1) = both(model, lambda: model.time_derivative(v))
    assert rel(i1, i0) < RTOL[dtype] and rel(i1, d0) < RTOL[dtype]
    # conservative: the cell sum vanishes to round-off (N float32 roundings of J_{i+1} - J_i)
    assert float(d1.double().sum(-1).abs().max()) < 100 * n * torch.finfo(dtype).eps * float(d1.abs().max())


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("flux", ["godunov", "centered"])
def test_fused_rollout_and_its_adjoint(flux, dtype):
    n = 64
    model = make(Burgers(flux_form=flux), "constant", n, dtype)
    v0 = smooth(5, n, 2).to(dtype)
    targets = smooth(15, n, 3).reshape(3, 5, n).to(dtype)

    def loss_and_grad():
        r = rollout_midpoint(model, v0, 1e-3, 30, 10)
        torch.mean((r - targets) ** 2).backward()
        return r.detach().clone(), model.z.grad.clone()

    (r0, g0), (r1, g1) = both(model, loss_and_grad)
    assert r1.shape == r0.shape == (3, 5, n)
    assert rel(r1, r0) < RTOL[dtype]
    assert rel(g1, g0) < RTOL[dtype]


def test_training_with_the_integrated_loss_is_unchanged():
    """A whole (float64) training of the constant Godunov model on both losses: same history and weights."""
    n, eq = 64, Burgers(flux_form="godunov")
    x, y = smooth(40, n, 4), smooth(40, n, 5)
    integ = {"v0": smooth(8, n, 6), "targets": smooth(24, n, 7).reshape(8, 3, n), "dt": 1e-3}
    integ |= {"steps_per_output": 5, "weight": 1.0, "batch_size": 4}
    res = []
    for fused in (False, True):
        model = make(eq, "constant", n, torch.float64)
        model.fused = fused
        hist = train(model, x, y, steps=12, batch_size=8, lr_schedule=[(0, 1e-2)], eval_every=6, integrated=integ)
        res.append((hist, model.z.detach().clone()))
    (h0, z0), (h1, z1) = res
    assert rel(z1, z0) < 1e-11
    for key in ("loss", "integrated_loss"):
        np.testing.assert_allclose(h1[key], h0[key], rtol=1e-11)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fused_interpolation_model(dtype):
    """Fig. 1's model: the compiled stencil head gives the torch composition's outputs and gradients."""
    model = InterpolationModel(8, seed=0).to(dtype)
    with torch.no_grad():
        for conv in model.net.convs:
            conv.bias.copy_(0.1 * torch.randn(conv.bias.shape, generator=torch.Generator().manual_seed(2)))
    known, target = smooth(5, 64, 8).to(dtype), smooth(35, 64, 9).reshape(5, 7, 64).transpose(1, 2).to(dtype)

    def loss_and_grads():
        out = model(known)
        torch.mean((out - target) ** 2).backward()
        return out.detach().clone(), [p.grad.clone() for p in model.parameters()]

    (o0, g0), (o1, g1) = both(model, loss_and_grads)
    assert o1.shape == o0.shape == (5, 64, 7)
    assert rel(o1, o0) < RTOL[dtype]
    for a, b in zip(g1, g0):
        assert rel(a, b) < RTOL[dtype]


def forced_problem(n, b=4, seed=0):
    fine = 4 * n
    forcing = Forcing(draw_forcing(range(seed, seed + b)), 2 * np.pi, fine, 4)
    return smooth(b, n, seed, amp=0.7), forcing


@pytest.mark.parametrize(
    "method, settings",
    [
        ("weno", SolverSettings()),
        ("weno", SolverSettings(rtol=1e-6, atol=1e-9)),  # many rejected steps
        ("const_godunov", SolverSettings()),
        ("const", SolverSettings(rtol=1e-7, atol=1e-10)),
    ],
)
def test_compiled_coarse_runs_equal_ode_integrate(method, settings):
    n = 64
    v0, forcing = forced_problem(n)
    if method == "weno":
        equation, faces = baseline("weno", 0.01, 2 * np.pi, n)
    else:
        faces = make(
            Burgers(flux_form="godunov" if method == "const_godunov" else "centered"), "constant", n, torch.float64
        )
        equation = faces.equation
    times = np.linspace(0.0, 0.6, 7)
    old = run_coarse(equation, faces, v0, forcing, times, settings, compiled=False)
    new = run_coarse(equation, faces, v0, forcing, times, settings)
    assert (new.nfev, new.n_steps, new.n_rejected) == (old.nfev, old.n_steps, old.n_rejected)
    if settings.rtol < 1e-3:
        assert old.n_rejected > 0
    assert float((new.y - old.y).abs().max()) < 1e-12
    assert np.isclose(new.h_next, old.h_next, rtol=1e-10)


@pytest.mark.parametrize("eq", [KdV(), KuramotoSivashinsky()], ids=lambda e: e.name)
def test_compiled_unforced_runs_of_kdv_and_ks(eq):
    """The valid-time runs of Fig. 4 (no forcing): the constant models of KdV and KS on the compiled loop."""
    n = 64
    faces = make(eq, "constant", n, torch.float64)
    v0 = smooth(3, n, 4)
    times = np.linspace(0.0, 1.0, 5)
    old = run_coarse(eq, faces, v0, None, times, SolverSettings(), compiled=False)
    new = run_coarse(eq, faces, v0, None, times, SolverSettings())
    assert (new.nfev, new.n_steps, new.n_rejected) == (old.nfev, old.n_steps, old.n_rejected)
    ok = ~torch.isnan(old.y)
    assert torch.equal(ok, ~torch.isnan(new.y))
    assert float((new.y[ok] - old.y[ok]).abs().max()) < 1e-10


def test_compiled_coarse_runs_diverge_like_ode_integrate():
    """An unstable constant model (large random stencils): same divergence times, NaN after them."""
    n = 32
    faces = make(Burgers(eta=0.0), "constant", n, torch.float64)
    with torch.no_grad():
        faces.z.copy_(torch.tensor([2.0, -1.5, 1.0, 0.5, -2.0, 1.5, -1.0, 0.5, 2.0]))
    v0, forcing = forced_problem(n, b=6, seed=3)
    v0 = v0 * torch.linspace(0.2, 3.0, 6)[:, None]
    times = np.linspace(0.0, 2.0, 21)
    settings = SolverSettings(bound=50.0)
    old = run_coarse(faces.equation, faces, v0, forcing, times, settings, compiled=False)
    new = run_coarse(faces.equation, faces, v0, forcing, times, settings)
    assert np.isfinite(old.t_diverged).any()
    np.testing.assert_allclose(new.t_diverged, old.t_diverged, rtol=1e-12)  # times: sums of steps
    assert torch.equal(torch.isnan(new.y), torch.isnan(old.y))
    ok = ~torch.isnan(old.y)
    assert float((new.y[ok] - old.y[ok]).abs().max()) < 1e-9
    assert (new.nfev, new.n_steps) == (old.nfev, old.n_steps)


def test_network_runs_equal_the_torch_composition():
    n = 64
    v0, forcing = forced_problem(n)
    model = make(Burgers(), "cnn", n, torch.float64)
    times = np.linspace(0.0, 0.2, 3)
    old, new = both(model, lambda: run_coarse(model.equation, model, v0, forcing, times))
    assert float((new.y - old.y).abs().max()) < 1e-12 and new.nfev == old.nfev


def test_driver_cache_guard_is_current():
    """The compiled RK23 loop inlines stencil_kernels.py; its on-disk cache is trusted only while the recorded
    hash is that file's (update DEPENDENCY_SHA256 in coarse_kernels.py after changing stencil_kernels.py)."""
    assert coarse_kernels.DEPENDENCY_SHA256 == coarse_kernels.dependency_sha256()
