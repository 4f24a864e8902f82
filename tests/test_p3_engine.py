"""The batched DC-RNN fitting engine (coarsepde.kinetic.engine) against today's one-at-a-time path.

* the structured residuals (every word a full array v^k D^k g or a rank-one v^a x-field) equal the schemes' residuals
  of coarsepde.kinetic.schemes (forward Euler, IMEX1, IMEX-BDF-2/4, ARS(2,2,2) with the known flux) to round-off,
  for the tables' models at M = 0 and M = 2 with perturbed weights; the <g> = 0 field too;
* the compiled data pass equals the torch autograd loss and gradient (l1 and l2, window weights);
* the stacked Adam is torch.optim.Adam's update bit for bit, and a finished model stays where it is;
* 100 Adam steps of all fits together equal 100 steps of ``training.fit`` per fit (FE, IMEX1, IMEX-BDF-2,
  ARS(2,2,2), M = 0 and M = 2; sparsity and <g> = 0 variants; full batch and random windows) to round-off.

Data: our ARS(2,2,2) generator at eps = 1/64 on nx = 40 cells, 10 snapshots (dt_data = 8 dx^2 / 2).
"""

import copy

import numpy as np
import pytest
import torch

from coarsepde.kinetic.engine.adam import StackedAdam
from coarsepde.kinetic.engine.batched import BatchedFits, fit_batched, live_words
from coarsepde.kinetic.engine.kernel import fused_loss, pool_residual, reference_loss
from coarsepde.kinetic.engine.protocol import AdamSettings, EngineOptions, FitTask, Penalties
from coarsepde.kinetic.engine.residuals import ARSTerms, LinearTerms
from coarsepde.kinetic.engine.stack import ModelStack
from coarsepde.kinetic.engine.structure import Full, Layout, Rank1, canonical
from coarsepde.kinetic.engine.tasks import paper_tasks
from coarsepde.kinetic.experiments import TABLES, make_model
from coarsepde.kinetic.features import CoefficientMap, MappedModel
from coarsepde.kinetic.fitdata import FitData
from coarsepde.kinetic.polynomial import Term
from coarsepde.kinetic.schemes import get_scheme
from coarsepde.kinetic.training import Lbfgs, LeastSquares, Monitor, fit
from coarsepde.kinetic.transport import TransportSetup, generate_ars222, ic_nb

torch.set_num_threads(1)
EPS = 1.0 / 64
#: (table, scheme): the tables' models (dictionaries, K) for FE, IMEX1, IMEX-BDF-2 and ARS(2,2,2), M = 0 and M = 2
CASES = [(1, "fe"), (3, "fe"), (2, "imex1"), (4, "imex1"), (5, "bdf2"), (7, "bdf2"), (6, "ars222"), (8, "ars222")]


@pytest.fixture(scope="module")
def data():
    setup = TransportSetup(eps=EPS, nx=40, stride=8, n_snapshots=10)
    return FitData.from_generated(generate_ars222(setup, ic_nb(setup.x)))


def _model(data, table, seed=None):
    s = TABLES[table]
    m = make_model(data.ops, s.K, s.M, (1e-3, 0.1), dictionary_g=s.dictionary_g, dictionary_rho=s.dictionary_rho)
    if seed is not None:
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in m.parameters():
                p.mul_(1.0 + 0.2 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return m


def test_canonical_forms():
    assert canonical(Term(("A", "A"), "g")) == Full(2)
    assert canonical(Term(("P", "A"), "g")) == Rank1(0, ("g", 1), 0)  # <A g>
    assert canonical(Term(("A", "P", "A", "A"), "g")) == Rank1(1, ("g", 2), 1)  # v D <A^2 g>
    assert canonical(Term(("P", "A", "A", "P"), "g")) == Rank1(0, ("g", 0), 2, (2,))  # <v^2> D^2 <g>
    assert canonical(Term(("A", "A"), "rho")) == Rank1(2, ("rho", 0), 2)  # v^2 D^2 rho
    assert canonical(Term(("A", "P", "A", "A"), "rho")) == Rank1(1, ("rho", 0), 3, (2,))


@pytest.mark.parametrize("table,scheme", CASES + [(7, "bdf4")])
def test_structured_residual_equals_the_schemes_residual(data, table, scheme):
    models = [_model(data, table, seed) for seed in (1, 2)]
    stack = ModelStack(models)
    c, sig, eps = stack.coefficients()
    for b, m in enumerate(models):  # the batched coefficient map is CoefficientMap's, bit for bit
        assert torch.equal(c[b], CoefficientMap(m)(m)) and torch.equal(sig[b], m.relaxation())
    sch = get_scheme(scheme)
    lay = Layout(data, sch.span)
    live = live_words(stack)
    if scheme == "ars222":
        terms = ARSTerms(stack.words, lay, data.dt, live, mean_zero=True)
    else:
        terms = LinearTerms(stack.words, sch.stencil, lay, data.dt, live, mean_zero=True)
    lay.build()
    terms.finalize()
    theta, beta = terms.weights(c, sig)
    r = pool_residual(theta, beta, lay.F, lay.X, lay.V, lay.pa, lay.pf)
    n = torch.arange(lay.N)
    with torch.no_grad():
        for b, m in enumerate(models):
            ref = sch.residual(MappedModel(m), data)
            assert (r[b] - ref).abs().max() <= 1e-13 * ref.abs().max(), (scheme, b)
            mz = torch.einsum("f,fnx->nx", terms.mean_zero_weights(c, data.dt)[b], lay.X)
            mz_ref = data.dt * data.ops.average(MappedModel(m).explicit_rhs(data.g[n], data.rho[n], data.ops))
            assert (mz - mz_ref).abs().max() <= 1e-13 * mz_ref.abs().max()
    assert len(lay.full_keys) <= (10 if scheme == "ars222" else 6)  # the rest are x-arrays


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_fused_pass_equals_torch_autograd(norm):
    gen = torch.Generator().manual_seed(0)
    Q, N, nv, nx, nf, B = 5, 4, 6, 11, 3, 3

    def rnd(*s):
        return torch.randn(*s, generator=gen, dtype=torch.float64)

    F, X = rnd(Q, N, nv, nx), rnd(nf, N, nx)
    V = torch.stack([torch.linspace(-1, 1, nv, dtype=torch.float64) ** a for a in range(3)])
    pa, pf = torch.tensor([0, 2, 1, 2]), torch.tensor([0, 0, 2, 1])
    omega = torch.rand(B, N, generator=gen, dtype=torch.float64)
    omega[1, 2] = 0.0
    omega[2] = 0.0  # a finished model: no loss, no gradient
    th1, be1 = rnd(B, Q).requires_grad_(), rnd(B, 4).requires_grad_()
    th2, be2 = th1.detach().clone().requires_grad_(), be1.detach().clone().requires_grad_()
    a = fused_loss(th1, be1, F, X, V, pa, pf, omega, norm)
    b = reference_loss(th2, be2, F, X, V, pa, pf, omega, norm)
    w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    (a * w).sum().backward()
    (b * w).sum().backward()
    assert torch.allclose(a, b, rtol=1e-13, atol=0) and a[2] == 0
    assert torch.allclose(th1.grad, th2.grad, rtol=1e-12, atol=1e-14)
    assert torch.allclose(be1.grad, be2.grad, rtol=1e-12, atol=1e-14)


def test_stacked_adam_is_torch_adam_bit_for_bit():
    gen = torch.Generator().manual_seed(3)
    owner = torch.tensor([0, 0, 1, 2, 2, 2, 1, 0])  # entries of three models, interleaved
    flat = torch.randn(8, generator=gen, dtype=torch.float64).requires_grad_(True)
    grads = [torch.randn(8, generator=gen, dtype=torch.float64) for _ in range(20)]
    lrs = [1e-3, 0.04, 0.5]
    refs = []
    for b in range(3):
        p = torch.nn.Parameter(flat.detach()[owner == b].clone())
        refs.append((p, torch.optim.Adam([p], lr=lrs[b], betas=(0.9, 0.999), eps=1e-8)))
    opt = StackedAdam(flat, owner, lrs)
    for k, g in enumerate(grads):
        flat.grad = g.clone()
        opt.step(torch.tensor([True, True, k < 12]))  # the third model stops after 12 steps
        for b, (p, o) in enumerate(refs):
            if k < 12 or b < 2:
                p.grad = g[owner == b].clone()
                o.step()
    for b, (p, _) in enumerate(refs):
        assert torch.equal(p.detach(), flat.detach()[owner == b])


def _run_both(data, specs, steps, batch_windows, lr):
    tasks, refs = [], []
    for i, (table, scheme, pen) in enumerate(specs):
        m = _model(data, table)
        ref = copy.deepcopy(m)
        adam = AdamSettings(steps, lr, batch_windows, 25, seed=i)
        h = fit(ref, data, scheme, adam=adam, penalties=pen, monitor=Monitor(eps_true=EPS))
        refs.append((ref, h))
        tasks.append(FitTask(m, scheme, adam, pen, eps_true=EPS))
    return tasks, fit_batched(data, tasks), refs


@pytest.mark.parametrize("batch_windows,lr", [(None, 1e-3), (3, 0.04)])
def test_batched_equals_one_at_a_time_over_100_steps(data, batch_windows, lr):
    none = Penalties()
    specs = [(t, s, none) for t, s in CASES] + [
        (7, "bdf2", Penalties(sparsity=1e-6)),
        (7, "bdf2", Penalties(sparsity=1e-6, reduction="mean")),
        (7, "bdf2", Penalties(mean_zero=1.0)),
    ]
    tasks, hists, refs = _run_both(data, specs, 100, batch_windows, lr)
    for task, h, (ref, h_ref) in zip(tasks, hists, refs):
        a = torch.cat([p.detach().flatten() for p in task.model.parameters()])
        b = torch.cat([p.detach().flatten() for p in ref.parameters()])
        label = (task.scheme, task.model.M, task.penalties)
        assert (a - b).abs().max() <= 1e-12 * b.abs().max(), label
        assert h.iteration == h_ref.iteration == [0, 25, 50, 75, 100]
        assert np.allclose(h.loss, h_ref.loss, rtol=1e-12, atol=0), label
        assert np.allclose(h.error, h_ref.error, rtol=1e-10, atol=1e-12), label
        assert np.allclose(h.eps_pred, h_ref.eps_pred, rtol=1e-12, atol=0), label
        assert h_ref.loss[-1] < h_ref.loss[0]  # the fits moved


def test_models_with_different_budgets_and_the_torch_pass(data):
    m1, m2 = _model(data, 7), _model(data, 7)
    r1, r2 = copy.deepcopy(m1), copy.deepcopy(m2)
    tasks = [FitTask(m1, "bdf2", AdamSettings(7, 0.01)), FitTask(m2, "bdf2", AdamSettings(3, 0.02), norm="l2")]
    hists = BatchedFits(data, tasks, EngineOptions(kernel="torch")).run()
    fit(r1, data, "bdf2", adam=AdamSettings(7, 0.01))
    fit(r2, data, "bdf2", adam=AdamSettings(3, 0.02), norm="l2")
    for m, r in ((m1, r1), (m2, r2)):
        for p, q in zip(m.parameters(), r.parameters()):
            assert torch.allclose(p, q, rtol=1e-12, atol=1e-14)
    assert [h.iteration for h in hists] == [[0, 7], [0, 3]]


def test_the_paper_set_at_one_eps(data):
    adam = AdamSettings(3, 0.01, history_every=1)
    tasks = paper_tasks(data, adam, eps_true=EPS)
    refs = paper_tasks(data, adam, eps_true=EPS)
    eng = BatchedFits(data, tasks)
    assert len(tasks) == 11 and len(eng.stacks) == 3  # K = 1 with I, K = 1 without, K = 2 (M = 0 and 2 together)
    assert sorted(w["scheme"] for w in eng.work()) == ["ars222", "bdf2", "bdf4", "fe", "imex1"]
    assert tasks[8].penalties.sparsity > 0 and tasks[9].model.eps_range == (1e-3, 1.0)
    hists = eng.run()
    for task, ref, h in zip(tasks, refs, hists):
        h_ref = fit(ref.model, data, ref.scheme, adam=adam, penalties=task.penalties, monitor=Monitor(eps_true=EPS))
        assert np.allclose(h.loss, h_ref.loss, rtol=1e-12, atol=0), task.name
        for a, b in zip(task.model.parameters(), ref.model.parameters()):
            assert torch.allclose(a, b, rtol=1e-12, atol=1e-14), task.name


def test_protocol_objects_validate():
    with pytest.raises(ValueError):
        AdamSettings(10, lr=0.0)
    with pytest.raises(ValueError):
        Penalties(reduction="max")
    with pytest.raises(ValueError):
        EngineOptions(kernel="gpu")
    with pytest.raises(ValueError):
        FitTask(None, "fe", AdamSettings(1), norm="l3")
    with pytest.raises(ValueError, match="continuity"):
        FitTask(None, "fe", AdamSettings(1), Penalties(continuity=1e-3))
    with pytest.raises(ValueError, match="batch_windows"):
        AdamSettings(10, batch_windows=0)  # a settings file's 0 means "every window": None here
    with pytest.raises(ValueError):
        Penalties(sparsity=-1.0)
    with pytest.raises(ValueError, match="norms"):
        Lbfgs(10, ("l1", "huber"))
    with pytest.raises(ValueError):
        LeastSquares(0)


def test_training_fit_needs_a_phase_and_a_known_norm(data):
    model = _model(data, 1)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match="at least one phase"):
        fit(model, data, "fe", adam=AdamSettings(0))  # 0 Adam steps is no phase
    with pytest.raises(ValueError, match="norm"):
        fit(model, data, "fe", adam=AdamSettings(1), norm="l3")
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    h = fit(model, data, "fe", adam=AdamSettings(0), lsq=LeastSquares(5))
    assert h.phase == ["lsq"] and h.adam_seconds == 0.0
