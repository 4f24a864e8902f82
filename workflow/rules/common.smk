# Shared helpers: result paths, per-rule resources from the config's scale, argument formatting.
import copy
import json

from coarsepde.codedeps import import_closure

SCALE = config["scale"]
SEED = config["seed"]
CONDA_ENV = "../../envs/coarsepde.yaml"  # relative to this rules directory

# Rules whose jobs run for minutes at the default scale (P3 fits, P1 Fig. 1 interpolation training) are
# started before short ones whenever both are ready: with few cores, a long job picked last runs alone
# while the other cores idle (issue 10: the default DAG's tail).
LONG_JOB_PRIORITY = 10

# Every artifact a rule adds is appended here; `rule all` requests them.
ALL_TARGETS = []
# Claim fragments (JSON) gathered into results/claims.csv by rule `claims`.
CLAIM_FRAGMENTS = []


def rule_resources(name):
    """threads / mem_mb / runtime of a rule: config resources.default, overridden by resources.rules[name]."""
    res = dict(config["resources"]["default"])
    res.update(config["resources"].get("rules", {}).get(name, {}))
    return res


def threads_of(name):
    """A rule's threads, from the config's resources (the one place they are set): Snakemake schedules by them and
    exports them to the job as OMP/MKL/OpenBLAS thread counts, which numpy and torch honour; the torch scripts
    also take them as --threads."""
    return rule_resources(name)["threads"]


# Structured settings (a config excerpt a script reads into dataclasses) travel as a JSON file written by the
# settings_file rule, never as JSON in a shell line: settings_path registers the excerpt under a name and
# returns the file, which the consuming rule lists as an input. A changed value changes settings_file's
# params, so its file is rewritten and the consumer reruns.
SETTINGS = {}


def write_settings(path, values):
    """The settings file: sorted keys, so equal settings give equal bytes."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")


def settings_path(name, values):
    """Register ``values`` as the settings file ``results/settings/<name>.json`` and return its path."""
    if name in SETTINGS and SETTINGS[name] != values:
        raise ValueError(f"settings {name!r} registered twice with different values")
    SETTINGS[name] = values
    return f"results/settings/{name}.json"


def wildcard_flags(wildcards):
    """A job's wildcards as typed script flags (``--wildcard NAME=VALUE`` each; recorded in provenance)."""
    return " ".join(f"--wildcard {k}={v}" for k, v in wildcards.items())


def mem_of(name):
    return rule_resources(name)["mem_mb"]


def runtime_of(name):
    return rule_resources(name)["runtime"]


def gpu_of(name):
    """GPUs a job asks for (resources.rules[name].gpu; 0 unless the scale sets it). The slurm
    profile turns a non-zero count into ``sbatch --gpus=N`` (with gpu_model: --gpus=<model>:N)."""
    return rule_resources(name).get("gpu", 0)


def gpu_model_of(name):
    return rule_resources(name).get("gpu_model", "")


# torch device of the training rules ("auto": CUDA when the job sees a GPU, else CPU)
DEVICE = config["device"]
# resumable long jobs: checkpoint intervals (training steps, simulation outputs)
CHECKPOINT = config["checkpoint"]


def matrix_arg(rows):
    """[[1, 2], [3, 4]] -> '1,2;3,4' (the scripts' matrix syntax; quote it in shell with :q)."""
    return ";".join(",".join(repr(float(v)) if isinstance(v, float) else str(v) for v in row) for row in rows)


def list_arg(values):
    return " ".join(str(v) for v in values)


def script_inputs(name):
    """A rule's code inputs: ``workflow/scripts/<name>.py`` and every package file in that script's
    import closure, read from the source (coarsepde.codedeps), so a change to any module the script
    runs reruns the rule. Use as ``input: **script_inputs("p3_fit")`` (keys ``script`` and ``code``)."""
    script = f"workflow/scripts/{name}.py"
    if not Path(script).is_file():
        raise ValueError(f"no workflow script {script}")
    return {"script": script, "code": import_closure(script, "src")}


# ------------------------------------------------------------------------------------------
# P2 1D (rules in homogenization.smk)
# ------------------------------------------------------------------------------------------

P1D = config["homogenization"]["one_d"]
N_PATCH_TRAJ = P1D["n_train"] + P1D["n_test"]
N_TRAJ = N_PATCH_TRAJ + 1  # + one unseen initial condition for the integration test (Fig. 5)
ARCHS = ["functional", "discretized"]


def patch1d_flags(**overrides):
    """The shared flags of the P2 1D problem (coarsepde.cli.add_patch1d_args), from the config; ``overrides``
    replace single values (e.g. points_per_period=100 for the cost check at the paper's micro resolution)."""
    ic = P1D["initial_conditions"]
    vals = dict(
        eps=P1D["eps"],
        a_mean=P1D["a_mean"],
        a_amplitude=P1D["a_amplitude"],
        macro_nodes=P1D["macro_nodes"],
        tooth_width=P1D["tooth_width"],
        patch_width=P1D["patch_width"],
        points_per_period=P1D["points_per_period"],
        burst=P1D["burst"],
        burst_first_step=P1D["burst_first_step"],
        burst_growth=P1D["burst_growth"],
        lift_degree=P1D["lift_degree"],
        ic_terms=ic["terms"],
        ic_amplitude=ic["amplitude"],
        ic_max_wavenumber=ic["max_wavenumber"],
        n_traj=N_TRAJ,
    )
    unknown = sorted(set(overrides) - set(vals))
    if unknown:
        raise ValueError(f"patch1d_flags: unknown flags {unknown}")
    vals.update(overrides)
    return " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vals.items()) + f" --seed {SEED}"


def p2_figure_inputs(wildcards):
    """Each figure depends on exactly the stores it draws."""
    n = wildcards.n
    evals = expand("results/homogenization/p2_1d_{arch}_evaluation.zarr", arch=ARCHS)
    inputs = {
        "1": {"data": "results/homogenization/patch1d.zarr"},
        "2": {
            "reference": "results/homogenization/homog1d.zarr",
            "fully_resolved": "results/homogenization/fully_resolved1d.zarr",
            "timing": "results/homogenization/fully_resolved1d_timing.json",
        },
        "4": {"reference": "results/homogenization/homog1d.zarr", "evaluation": evals},
        "5": {"evaluation": evals},
    }[n]
    return inputs | script_inputs("p2_figures1d")


def p2_figure_flags(wildcards, input):
    """Command-line flags naming the inputs of one figure."""
    names = {
        "data": "--data",
        "reference": "--reference",
        "fully_resolved": "--fully-resolved",
        "timing": "--timing",
        "evaluation": "--evaluation",
    }
    return " ".join(
        f"{flag} {input[key] if key != 'evaluation' else ' '.join(input[key])}"
        for key, flag in names.items()
        if key in input.keys()
    )


# ------------------------------------------------------------------------------------------
# P2 2D (rules in homogenization.smk)
# ------------------------------------------------------------------------------------------

P2D = config["homogenization"]["two_d"]
EFF2D = config["homogenization"]["effective_coefficients"]["two_d"]
# the published architectures (ARCHS) and the project's variants drawn beside them in Figs. 7-8 (docs/p2.md)
ARCHS_2D_CONSTRAINT = "|".join(ARCHS + P2D["variants"])


def p2_variant_evaluations(wildcards):
    """Evaluation stores of the configured 2D variants, for Figs. 7 and 8 only (Fig. 6 draws the published two)."""
    if wildcards.n == "6":
        return []
    return expand("results/homogenization/p2_2d_{arch}_evaluation.zarr", arch=P2D["variants"])


def alignment_flag(name):
    """--alignment NAME:xP,xQ:yP,yQ of a configured kappa alignment."""
    if name not in EFF2D["alignments"]:
        raise ValueError(f"homogenization.two_d.alignment: {name!r} is not one of {list(EFF2D['alignments'])}")
    a = EFF2D["alignments"][name]
    return f"{name}:{matrix_arg([a['x_link_offset']])}:{matrix_arg([a['y_link_offset']])}"


# ------------------------------------------------------------------------------------------
# P1 Burgers (rules in discretization.smk)
# ------------------------------------------------------------------------------------------

P1B = config["discretization"]["burgers"]
P1_FACTORS = P1B["resample_factors"]
P1_DIR = "results/discretization/burgers"


def p1_path(name):
    """A path under the P1 Burgers results folder (name relative to it, wildcards allowed)."""
    return f"{P1_DIR}/{name}"


# learned model name -> (kind, flux form, uses the time-integrated loss)
P1_MODELS = {
    "nn": ("cnn", "centered", False),
    "const": ("constant", "centered", False),
    "const_godunov": ("constant", "godunov", True),  # paper footnote *
}
P1_DOMAINS = ["test", "large"]


def p1_check_factors():
    """Every factor the figures need must be a trained/evaluated factor dividing the fine grid."""
    ev = P1B["evaluation"]
    needed = set(ev["fig3a_factors"]) | {ev["fig3b_factor"], ev["fig2_factor"]}
    missing = sorted(needed - set(P1_FACTORS))
    if missing:
        raise ValueError(f"discretization.burgers.evaluation uses factors {missing} not in resample_factors")
    bad = [f for f in P1_FACTORS if P1B["n_fine"] % f]
    if bad:
        raise ValueError(f"discretization.burgers.resample_factors {bad} do not divide n_fine = {P1B['n_fine']}")


def p1_data_flags(split, c=None, factors=None):
    """Command-line flags of the exact-data rule for one split (train, test, large). The paper-protocol run passes
    its own section ``c`` (default P1B, the scale's discretization.burgers) and ``factors`` (default P1_FACTORS)."""
    c = P1B if c is None else c
    factors = P1_FACTORS if factors is None else factors
    f = c["forcing"]
    common = (
        f"--eta {c['eta']} --n-modes {f['n_modes']} --amplitude {f['amplitude']} --warmup {c['warmup']}"
        f" --max-step {c['solver']['max_step']} --rtol {c['solver']['rtol']} --atol {c['solver']['atol']}"
    )
    if split == "train":
        t = c["train"]
        return (
            f"{common} --length-pi {c['length_pi']} --n-fine {c['n_fine']} --k-min {f['k_min']}"
            f" --k-max {f['k_max']} --seed-offset {t['seed_offset']} --n-runs {t['n_runs']}"
            f" --n-snapshots {t['n_snapshots']} --interval {t['interval']} --factors {list_arg(factors)}"
            f" --rollouts {t['rollouts']} --rollout-horizon {t['rollout_horizon']}"
            f" --rollout-outputs {t['rollout_outputs']}"
        )
    if split == "test":
        t = c["test"]
        m, k_min, k_max = 1, f["k_min"], f["k_max"]
    elif split == "large":
        t = c["large_domain"]
        m, k_min, k_max = t["multiple"], t["k_min"], t["k_max"]
    else:
        raise ValueError(f"unknown P1 split {split!r}")
    n_out = int(round(t["duration"] / t["dt_out"])) + 1
    return (
        f"{common} --length-pi {c['length_pi'] * m} --n-fine {c['n_fine'] * m} --k-min {k_min}"
        f" --k-max {k_max} --seed-offset {t['seed_offset']} --n-runs {t['n_runs']} --n-snapshots {n_out}"
        f" --interval {t['dt_out']} --factors {list_arg(factors)}"
    )


def p1_seed(model, factor):
    """A distinct, reproducible seed per (model, factor), derived from the root seed."""
    return SEED + 1000 * (list(P1_MODELS).index(model) + 1) + int(factor)


def p1_train_flags(wildcards):
    return p1_train_args(wildcards.model)


def p1_train_args(model, t=None):
    """p1_train.py flags of a Burgers model; ``t`` (default: the scale's discretization.burgers.training) for the
    paper-protocol run."""
    kind, flux, integrated = P1_MODELS[model]
    t = P1B["training"] if t is None else t
    steps = t["steps"] if kind == "cnn" else t["const_steps"]
    flags = (
        f"--kind {kind} --flux {flux} --steps {steps} --batch-snapshots {t['batch_snapshots']}"
        f" --lr {t['lr']} --lr-final {t['lr_final']} --val-fraction {t['val_fraction']}"
        f" --eval-every {t['eval_every']} --layers {t['layers']} --filters {t['filters']} --kernel {t['kernel']}"
        f" --dtype {t['dtype']}"
    )
    if integrated:
        i = t["integrated"]
        flags += (
            f" --integrated-weight {i['weight']} --integrated-dt {i['dt']} --integrated-batch {i['batch_size']}"
            f" --integrated-outputs {i['n_outputs']}"
        )
    return flags


def p1_models_of(wildcards):
    return {m: f"{P1_DIR}/models/{m}_{wildcards.factor}x.zarr" for m in P1_MODELS}


def p1_model_flags(wildcards, input):
    return " ".join(f"--model {m}={input[m]}" for m in P1_MODELS)


def p1_evaluations(domain, factors):
    return [f"{P1_DIR}/eval_{domain}_{f}x.zarr" for f in factors]


# ------------------------------------------------------------------------------------------
# P1 KdV, KS and the valid time of Fig. 4 (rules in discretization.smk)
# ------------------------------------------------------------------------------------------

P1_PDES = ("kdv", "ks")
P1P = {eq: config["discretization"][eq] for eq in P1_PDES}
P1VT = config["discretization"]["valid_time"]
P1_PDE_MODELS = {"nn": "cnn", "const": "constant"}  # name -> kind; both on the centred flux


def p1_pde_path(pde, name):
    return f"results/discretization/{pde}/{name}"


def p1_pde_check():
    for eq, c in P1P.items():
        bad = [f for f in c["resample_factors"] if c["n_fine"] % f]
        if bad:
            raise ValueError(f"discretization.{eq}.resample_factors {bad} do not divide n_fine = {c['n_fine']}")
        extra = sorted(set(c["large_domain"]["factors"]) - set(c["resample_factors"]))
        if extra:
            raise ValueError(
                f"discretization.{eq}.large_domain.factors {extra} have no trained models (resample_factors)"
            )
    tl = P1VT["training_length"]
    if tl["factor"] not in P1P[tl["equation"]]["resample_factors"]:
        raise ValueError(
            f"discretization.valid_time.training_length.factor {tl['factor']} is not one of "
            f"discretization.{tl['equation']}.resample_factors (its Fig. 4 runs are the comparison)"
        )
    missing = sorted(set(P1VT["burgers_factors"]) - set(P1_FACTORS))
    if missing:
        raise ValueError(f"discretization.valid_time.burgers_factors {missing} not in burgers.resample_factors")


def p1_training_budget(c, simulations=None):
    """One equation's training budget (claims.p1_budget.P1Budget fields) from its config section ``c``."""
    t = c["training"]
    return {
        "steps": t["steps"],
        "batch": t["batch_snapshots"],
        "snapshots": c["train"]["n_runs"] * c["train"]["n_snapshots"],
        "const_steps": t["const_steps"],
        "simulations": simulations,
    }


# p1_figure1.py's claim thresholds (rules p1_figure1 and p1_protocol_figure1)
P1_FIG1_FLAGS = " ".join(
    f"--{flag} {P1B['claims'][key]}"
    for flag, key in (
        ("min-ratio", "fig1_min_ratio"),
        ("top-decile", "fig1_top_quantile"),
        ("poor-quantile", "fig1_poor_quantile"),
        ("overshoot-tol", "fig1_overshoot_tol"),
    )
)


def p1_budget_settings(figure):
    """The settings file with the budgets a P1 figure's claim was trained and scored at (its paper row is
    not-reached where they fall short of the paper's: coarsepde.claims.p1_budget)."""
    if figure == "fig1":
        it = P1B["interpolation"]
        values = {"interpolation": {"steps": it["steps"], "batch": it["batch_size"]}}
    elif figure in ("fig2", "fig3"):
        values = {"burgers": p1_training_budget(P1B)}
    else:
        values = {"burgers": p1_training_budget(P1B, P1B["test"]["n_runs"])}
        values |= {eq: p1_training_budget(P1P[eq], P1P[eq]["test"]["n_runs"]) for eq in P1_PDES}
    return settings_path(f"p1_budget_{figure}", values)


def p1_pde_data_flags(wildcards, c=None):
    """p1_pde_data.py flags; ``c`` (default: the scale's discretization.<pde>) for the paper-protocol run."""
    c = P1P[wildcards.pde] if c is None else c
    i = c["initial"]
    flags = (
        f"--equation {wildcards.pde} --length {c['length']} --n-fine {c['n_fine']} --dt {c['dt']}"
        f" --n-modes {i['n_modes']} --k-max {i['k_max']} --amplitude {i['amplitude']} --warmup {c['warmup']}"
    )
    if wildcards.split == "train":
        t = c["train"]
        return (
            f"{flags} --seed-offset {t['seed_offset']} --n-runs {t['n_runs']} --n-snapshots {t['n_snapshots']}"
            f" --interval {t['interval']} --labels"
        )
    t = c["test"]
    n_out = int(round(P1VT["t_max"] / t["dt_out"])) + 1
    if wildcards.split == "large":  # the SI's 10x domain: same grid spacing and wavelengths
        g = c["large_domain"]
        m = g["multiple"]
        flags = flags.replace(
            f"--length {c['length']} --n-fine {c['n_fine']}", f"--length {c['length'] * m} --n-fine {c['n_fine'] * m}"
        ).replace(f"--k-max {i['k_max']}", f"--k-min {g['k_min']} --k-max {g['k_max']}")
        return f"{flags} --seed-offset {t['seed_offset']} --n-runs {g['n_runs']} --n-snapshots {n_out} --interval {t['dt_out']}"
    return f"{flags} --seed-offset {t['seed_offset']} --n-runs {t['n_runs']} --n-snapshots {n_out} --interval {t['dt_out']}"


def p1_pde_train_flags(wildcards):
    return p1_pde_train_args(wildcards.pde, wildcards.model)


def p1_pde_train_args(pde, model, steps=None, c=None):
    """p1_train.py flags of a KdV/KS model; ``steps`` overrides the configured training length, ``c`` (default:
    the scale's discretization.<pde>.training) the budget (the paper-protocol run)."""
    kind = P1_PDE_MODELS[model]
    t, c = P1B["training"], P1P[pde]["training"] if c is None else c  # same architecture and optimiser as Burgers
    if steps is None:
        steps = c["steps"] if kind == "cnn" else c["const_steps"]
    return (
        f"--kind {kind} --flux centered --steps {steps} --batch-snapshots {c['batch_snapshots']}"
        f" --lr {t['lr']} --lr-final {t['lr_final']} --val-fraction {t['val_fraction']}"
        f" --eval-every {t['eval_every']} --layers {t['layers']} --filters {t['filters']} --kernel {t['kernel']}"
        f" --dtype {t['dtype']}"
    )


def p1_pde_seed(wildcards):
    return p1_pde_seed_of(wildcards.pde, wildcards.model, wildcards.factor)


def p1_pde_seed_of(pde, model, factor):
    return SEED + 100000 * (P1_PDES.index(pde) + 1) + 1000 * (list(P1_PDE_MODELS).index(model) + 1) + int(factor)


def p1_pde_evals(domain="test"):
    """The per-factor valid-time stores of KdV and KS on the test runs or the 10x domain."""
    key = (lambda c: c["resample_factors"]) if domain == "test" else (lambda c: c["large_domain"]["factors"])
    return [p1_pde_path(eq, f"validtime_{domain}_{f}x.zarr") for eq in P1_PDES for f in key(P1P[eq])]


# ------------------------------------------------------------------------------------------
# P1 at the authors' own protocol (rules in discretization_protocol.smk)
# ------------------------------------------------------------------------------------------

P1PR = config["discretization"]["protocol_run"]
P1PR_DIR = "results/discretization/protocol"
P1PR_SEED_STRIDE = 1_000_000  # replica r trains with the scale's seed of its model + r x this
P1PR_ROWS = P1PR["rows"]  # equation -> model -> factors
P1PR_BASELINES = {"burgers": ["fv1", "fv3", "weno"], "kdv": ["fv1", "fv3"], "ks": ["fv1", "fv3"]}
P1PR_VIEWS = {"all": "every store of the run", "finished": "the stores finished so far"}


def p1pr_path(name):
    return f"{P1PR_DIR}/{name}"


def p1pr_factors(eq):
    """Every factor a model of ``eq`` is trained at."""
    return sorted({f for fs in P1PR_ROWS[eq].values() for f in fs})


def p1pr_large_factors():
    """Burgers factors run on the 10x domain: every model factor and the first-order baseline's R/ratio (Fig. 3C)."""
    ratio = P1B["claims"]["fig3_baseline_ratio"]
    return sorted(set(p1pr_factors("burgers")) | {R // ratio for R in P1PR_ROWS["burgers"]["nn"] if R % ratio == 0})


def p1pr_section(eq):
    """The scale's discretization.<eq> at the protocol's data sizes and training budget (a copy)."""
    c = copy.deepcopy(P1B if eq == "burgers" else P1P[eq])
    c["train"]["n_runs"] = P1PR["train_runs"]
    c["test"]["n_runs"] = P1PR["test_runs"]
    budget = {"steps": P1PR["steps"], "const_steps": P1PR["steps"], "batch_snapshots": P1PR["batch_snapshots"]}
    if eq == "burgers":
        c["test"]["duration"] = P1VT["t_max"]  # the valid-time simulations: to t_max after the warm-up
        c["train"]["rollouts"] = P1PR["integrated"]["rollouts"]
        c["training"].update(budget)
        c["training"]["integrated"].update({k: P1PR["integrated"][k] for k in ("n_outputs", "batch_size")})
        c["interpolation"].update(P1PR["interpolation"])
    else:
        c["training"] = budget
    return c


P1PR_SECTIONS = {eq: p1pr_section(eq) for eq in P1PR_ROWS}


def p1pr_check():
    for eq, models in P1PR_ROWS.items():
        n_fine = P1B["n_fine"] if eq == "burgers" else P1P[eq]["n_fine"]
        bad = [f for f in p1pr_factors(eq) if n_fine % f]
        if bad:
            raise ValueError(f"discretization.protocol_run.rows.{eq}: factors {bad} do not divide n_fine = {n_fine}")
    b = P1PR_ROWS["burgers"]
    if P1PR["fig2_factor"] not in set(b["nn"]) & set(b["const"]):
        raise ValueError("discretization.protocol_run.fig2_factor needs a Burgers nn and const model (rows.burgers)")
    if P1B["evaluation"]["fig3b_factor"] not in b["nn"]:
        raise ValueError("discretization.burgers.evaluation.fig3b_factor is not among protocol_run.rows.burgers.nn")


p1pr_check()


def p1pr_seed(eq, model, factor, replica):
    base = p1_seed(model, factor) if eq == "burgers" else p1_pde_seed_of(eq, model, factor)
    return base + P1PR_SEED_STRIDE * int(replica)


def p1pr_train_flags(wildcards):
    if wildcards.eq == "burgers":
        return p1_train_args(wildcards.model, P1PR_SECTIONS["burgers"]["training"])
    return p1_pde_train_args(wildcards.eq, wildcards.model, c=P1PR_SECTIONS[wildcards.eq]["training"])


def p1pr_eval_models(wildcards):
    """The models a coarse-run job integrates: none for the baselines, the replica's models at the factor."""
    if wildcards.who == "baselines":
        return {}
    f = int(wildcards.factor)
    return {
        m: p1pr_path(f"{wildcards.who}/{wildcards.eq}/models/{m}_{f}x.zarr")
        for m, fs in P1PR_ROWS[wildcards.eq].items()
        if f in fs
    }


def p1pr_eval_flags(wildcards, input):
    if wildcards.who == "baselines":
        return f"--baselines {list_arg(P1PR_BASELINES[wildcards.eq])}"
    return "--baselines " + " ".join(f"--model {m}={input[m]}" for m in p1pr_eval_models(wildcards))


def p1pr_entries():
    """The record's manifest: every store it reads, with what it holds (coarsepde.discretization.protocol_record)."""
    out = [
        {"kind": "data", "equation": "burgers", "split": s, "path": p1pr_path(f"burgers/{s}.zarr")}
        for s in ("train", "test")
    ]
    for r in P1PR["seeds"]:
        who = f"seed{r}"
        out.append({"kind": "interpolation", "replica": r, "path": p1pr_path(f"{who}/burgers/interpolation_eval.zarr")})
        for eq, models in P1PR_ROWS.items():
            for m, fs in models.items():
                for f in fs:
                    name = f"{who}/{eq}/models/{m}_{f}x"
                    key = {"replica": r, "equation": eq, "model": m, "factor": f}
                    out.append({"kind": "history", **key, "path": p1pr_path(f"{name}_history.zarr")})
                    if eq == "burgers" and f == P1PR["fig2_factor"] and m in ("nn", "const"):
                        out.append({"kind": "model", **key, "path": p1pr_path(f"{name}.zarr")})
    for who, r in [("baselines", None)] + [(f"seed{r}", r) for r in P1PR["seeds"]]:

        def evaluation(eq, domain, f, name):
            key = {"replica": r, "equation": eq, "domain": domain, "factor": f}
            return {"kind": "eval", **key, "path": p1pr_path(f"{who}/{eq}/{name}_{f}x.zarr")}

        out += [evaluation("burgers", "test", f, "eval_test") for f in p1pr_factors("burgers")]
        large = p1pr_large_factors() if r is None else p1pr_factors("burgers")
        out += [evaluation("burgers", "large", f, "eval_large") for f in large]
        pdes = [e for e in P1PR_ROWS if e != "burgers"]
        out += [evaluation(eq, "test", f, "validtime_test") for eq in pdes for f in p1pr_factors(eq)]
    return out


def p1pr_plan():
    """The record's settings: the manifest, the budgets, the claims' thresholds (a settings file)."""
    snapshots = {eq: c["train"]["n_runs"] * c["train"]["n_snapshots"] for eq, c in P1PR_SECTIONS.items()}
    coarsest = {"burgers": max(P1VT["burgers_factors"])} | {eq: max(P1P[eq]["resample_factors"]) for eq in P1_PDES}
    budgets = {
        eq: {
            "steps": P1PR["steps"],
            "batch": P1PR["batch_snapshots"],
            "snapshots": snapshots[eq],
            "const_steps": P1PR["steps"],
            "simulations": P1PR["test_runs"],
        }
        for eq in P1PR_ROWS
    }
    budgets["interpolation"] = {"steps": P1PR["interpolation"]["steps"], "batch": P1PR["interpolation"]["batch_size"]}
    cl, ev = P1B["claims"], P1B["evaluation"]
    return {
        "replicas": P1PR["seeds"],
        "rows": P1PR_ROWS,
        "baselines": {eq: P1PR_BASELINES[eq] for eq in P1PR_ROWS},
        "budgets": budgets,
        "fig1": {k: cl[f"fig1_{k}"] for k in ("min_ratio", "top_quantile", "poor_quantile", "overshoot_tol")},
        "fig2": {
            "factor": P1PR["fig2_factor"],
            "max_correlation": cl["fig2_max_correlation"],
            "min_distance": cl["fig2_min_distance"],
            "val_fraction": P1B["training"]["val_fraction"],
        },
        "fig3": {
            "ratio": cl["fig3_baseline_ratio"],
            "const_min_factor": cl["fig3_const_min_factor"],
            "nn_factor": ev["fig3b_factor"],
            "mae_t_max": ev["mae_t_max"],
        },
        "fig4": {k: P1VT[k] for k in ("t_max", "threshold_quantile", "fraction", "n_boot", "ci", "min_valid_fraction")}
        | {"coarsest": coarsest},
        "seed": SEED,
        "stores": p1pr_entries(),
    }


P1PR_PLAN_VALUES = p1pr_plan()
P1PR_PLAN = settings_path("p1_protocol", P1PR_PLAN_VALUES)
# the budgets rules p1_protocol_figure1 and p1_protocol_figure2 score their replica's row at (p1_budget_settings'
# format)
P1PR_FIG1_BUDGET = settings_path(
    "p1_protocol_budget_fig1", {"interpolation": P1PR_PLAN_VALUES["budgets"]["interpolation"]}
)
P1PR_FIG2_BUDGET = settings_path(
    "p1_protocol_budget_fig2", {"burgers": P1PR_PLAN_VALUES["budgets"]["burgers"] | {"simulations": None}}
)


def p1pr_fig2_models(seed):
    """Fig. 2's two models of one replica (the Burgers NN and centred constant model at fig2_factor)."""
    f = P1PR["fig2_factor"]
    return {m: p1pr_path(f"seed{seed}/burgers/models/{m}_{f}x.zarr") for m in ("nn", "const")}


def p1pr_record_inputs(wildcards):
    """Every store of the manifest and each replica's Figs. 1 and 2 (view "all"), or the stores that exist now, the
    Fig. 1 of each replica whose model has been evaluated and the Fig. 2 of each whose two models are trained (view
    "finished")."""
    entries = p1pr_entries()
    paths = sorted({e["path"] for e in entries})
    fig1 = {e["replica"]: e["path"] for e in entries if e["kind"] == "interpolation"}
    fig2 = {r: list(p1pr_fig2_models(r).values()) for r in P1PR["seeds"]}
    if wildcards.view == "finished":
        paths = [p for p in paths if Path(p).exists()]
        fig1 = {r: p for r, p in fig1.items() if Path(p).exists()}
        fig2 = {r: ps for r, ps in fig2.items() if all(Path(p).exists() for p in ps)}
    figures = [p1pr_path(f"seed{r}/figures/P1_fig1.png") for r in sorted(fig1)]
    figures += [p1pr_path(f"seed{r}/figures/P1_fig2.png") for r in sorted(fig2)]
    return {"plan": P1PR_PLAN, "stores": paths, "figures": figures}


# ------------------------------------------------------------------------------------------
# P3 DC-RNN (rules in kinetic.smk)
# ------------------------------------------------------------------------------------------

P3 = config["kinetic"]
P3_DIR = "results/kinetic"
P3_FIT_TABLES = [1, 2, 3, 4, 5, 6, 7, 8, 11]
P3_TABLE_CLAIMS = {
    "P3-table1-2": [1, 2],
    "P3-table3-4": [1, 2, 3, 4],
    "P3-table5-6": [5, 6],
    "P3-table7-8": [7, 8],
    "P3-table11-order": [11],
}
# Table -> schemes (coarsepde.kinetic.experiments.TABLES; repeated here so that parsing the workflow
# does not import torch) and the table whose converged IMEX-BDF-2 fits warm-start its ARS(2,2,2) fits.
P3_SCHEMES = {
    1: ["fe"],
    2: ["imex1"],
    3: ["fe"],
    4: ["imex1"],
    5: ["bdf2"],
    6: ["ars222"],
    7: ["bdf2"],
    8: ["ars222"],
    11: ["bdf2", "bdf4"],
}
P3_WARM = {6: 5, 8: 7}


def p3_path(name):
    """A path under the P3 results folder."""
    return f"{P3_DIR}/{name}"


def p3_check():
    """Every eps a table needs must be generated."""
    have = set(P3["data"]["inv_eps"])
    need = set(P3["tables"]["inv_eps"]) | set(P3["tables"]["table11_inv_eps"]) | {P3["figure4_inv_eps"]}
    missing = sorted(need - have)
    if missing:
        raise ValueError(f"kinetic: 1/eps {missing} used by the tables are not in kinetic.data.inv_eps")
    if P3["figure4_inv_eps"] not in P3["tables"]["inv_eps"]:
        raise ValueError("kinetic.figure4_inv_eps must be one of kinetic.tables.inv_eps")


def p3_case_stores():
    """Transport stores of the other examples (kinetic.cases), for the issue-8 tables and Fig. 5."""
    return [p3_path(f"transport_{c}_eps{k}.zarr") for c, v in P3["cases"].items() for k in v["inv_eps"]]


def p3_table_inv_eps(table):
    return P3["tables"]["table11_inv_eps"] if int(table) == 11 else P3["tables"]["inv_eps"]


def p3_data(inv_eps_list):
    return [p3_path(f"transport_eps{k}.zarr") for k in inv_eps_list]


def p3_fit_inputs(wildcards):
    t = int(wildcards.table)
    inv = p3_table_inv_eps(t)
    inputs = {
        "data": p3_data(inv),
        "protocols": settings_path(f"p3_fit_table{t}", p3_fit_protocols(t)),
        "adam": [p3_path(f"fits/adam_eps{k}.zarr") for k in inv],
    }
    if t in P3_WARM:
        inputs["warm"] = p3_path(f"fits/table{P3_WARM[t]}.zarr")
    return inputs


def p3_tables_at(inv):
    """The tables (1-8, 11) fit at 1/eps = inv: one batched Adam job (p3_table_adam) trains all their fits there."""
    return [t for t in sorted(P3_SCHEMES) if int(inv) in p3_table_inv_eps(t)]


def p3_table_adam_protocols():
    """The Adam protocol of every scheme of Tables 1-8 and 11 (ARS(2,2,2) has its own budget)."""
    schemes = sorted({s for v in P3_SCHEMES.values() for s in v})
    return {"adam": {s: P3["adam"]["ars222" if s == "ars222" else "linear"] for s in schemes}, "converged": {}}


def p3_fit_protocols(table):
    """The Adam and converged protocol settings of each scheme of a table (coarsepde.kinetic.experiments
    .protocols_from_settings reads them): ARS(2,2,2) has its own Adam budget, IMEX-BDF-q share one converged one."""
    schemes = P3_SCHEMES[int(table)]
    return {
        "adam": {s: P3["adam"]["ars222" if s == "ars222" else "linear"] for s in schemes},
        "converged": {s: P3["converged"]["bdf" if s.startswith("bdf") else s] for s in schemes},
    }


def p3_fit_flags(wildcards, input):
    m = P3["model"]
    flags = f"--protocols {input.protocols} --eps-range {list_arg(m['eps_range'])} --init {m['init']}"
    flags += f" --adam-fits {list_arg(input.adam)}"
    if int(wildcards.table) in P3_WARM:
        flags += f" --warm-start {input.warm}"
    return flags


def p3_claim_flags():
    c = P3["claims"]
    keys = [
        "fail_threshold",
        "growth_band",
        "ms_ratio",
        "ms_cap",
        "agree_factor",
        "agree_min_inv",
        "small",
        "large",
        "bdf2_fail_from",
        "ars_fail_from",
        "small_max_inv",
        "ars_cap",
    ]
    return " ".join(f"--{k.replace('_', '-')} {c[k]}" for k in keys)


# P3 Examples 6.3-6.10 (Tables 9, 10, 12-15; rules in kinetic.smk)
P3X = P3["examples"]
P3_EXAMPLE_CLAIMS = {
    9: "P3-table9-sparse",
    10: "P3-table10-mass",
    12: "P3-table12-lasso",
    13: "P3-table13-pinn",
    14: "P3-table14-mshdl",
    15: "P3-table15-limit",
}


def p3_example_inv_eps(table):
    t = int(table)
    if t == 13:
        return [P3X["table13_inv_eps"]]
    if t == 15:
        return P3["cases"]["limit"]["inv_eps"]
    return P3X[f"table{t}_inv_eps"]


def p3_example_data(wildcards):
    t = int(wildcards.etable)
    if t == 15:
        return [p3_path(f"transport_limit_eps{k}.zarr") for k in p3_example_inv_eps(t)]
    return p3_data(p3_example_inv_eps(t))


def p3_examples_check():
    have = set(P3["data"]["inv_eps"])
    for t in (9, 10, 12, 13, 14):
        missing = sorted(set(p3_example_inv_eps(t)) - have)
        if missing:
            raise ValueError(f"kinetic.examples: Table {t} needs 1/eps {missing} in kinetic.data.inv_eps")
    dc_inv = set(P3["tables"]["inv_eps"])
    for t in (12, 14):
        if not set(p3_example_inv_eps(t)) <= dc_inv:
            raise ValueError(f"kinetic.examples: Table {t}'s 1/eps must be among kinetic.tables.inv_eps (DC-RNN rows)")
    for case, what in (("limit", "Table 15"), ("sigma_x", "Fig. 5")):
        if case not in P3["cases"]:
            raise ValueError(f"kinetic.cases needs the {case!r} case ({what})")
    if P3["cases"]["sigma_x"]["inv_eps"] != [1]:
        raise ValueError("kinetic.cases.sigma_x is Example 6.4: inv_eps must be [1]")


P3_DCRNN_FITS = p3_path(f"fits/table{P3X['dcrnn_table']}.zarr")  # the DC-RNN rows of Tables 12, 14


def p3_example_table_inputs(table):
    inputs = {"fits": p3_path(f"fits/table{table}.zarr")}
    if int(table) in (12, 14):
        inputs["dcrnn"] = P3_DCRNN_FITS
    return inputs


def p3_example_settings(table):
    """The config a table's fit reads (only that: a change elsewhere must not re-run it)."""
    t = int(table)
    keys = {
        9: ["gamma_rel"],
        10: ["gamma_rel"],
        12: ["table12_targets"],
        13: ["pinn"],
        14: ["ms_hdl_conventions"],
        15: ["limit"],
    }[t]
    out = {"examples": {k: P3X[k] for k in keys}}
    if t in (9, 10):
        out.update(adam={"linear": P3["adam"]["linear"]}, converged={"bdf": P3["converged"]["bdf"]}, model=P3["model"])
    return out


# P3 under the authors' own protocol (rules p3_protocol*, kinetic.smk)
# The committed record's claim rows: where a scale's Adam budget falls short of the paper's, the "paper" rows of
# Tables 1-11 and Fig. 4 cite what the paper-protocol run gave (docs/reproductions/p3-paper-protocol.md).
# the committed record of P1 at the authors' own protocol (the p1_protocol run), its claim rows and, beside them, each
# seed's outcome so far, cited by the paper rows of every scale (coarsepde.claims.p1_protocol.protocol_record)
P1_RECORD = "docs/reproductions/p1-paper-protocol-claims.json"
P1_RECORD_SEEDS = P1_RECORD.replace("-claims.json", "-seeds.json")
P1_RECORD_INPUT = {"record": P1_RECORD} | ({"record_seeds": P1_RECORD_SEEDS} if Path(P1_RECORD_SEEDS).exists() else {})
P1_RECORD_INPUT = P1_RECORD_INPUT if Path(P1_RECORD).exists() else {}
P1_RECORD_FLAG = f"--protocol-record {P1_RECORD}" if P1_RECORD_INPUT else ""
P3_RECORD = "docs/reproductions/p3-paper-protocol-claims.json"
P3_RECORD_FITS = P3_RECORD.replace("-claims.json", "-fits.json")
P3_RECORD_INPUT = {"record": P3_RECORD} | ({"record_fits": P3_RECORD_FITS} if Path(P3_RECORD_FITS).exists() else {})
P3_RECORD_INPUT = P3_RECORD_INPUT if Path(P3_RECORD).exists() else {}
P3_RECORD_FLAG = f"--protocol-record {P3_RECORD}" if P3_RECORD_INPUT else ""
# the optimum of Tables 3, 4, 7 against the data's snapshot spacing (benchmarks/p3_floor_vs_dt.py, issue 21 item 7),
# cited by an unexplained converged table claim row
P3_FLOOR = "docs/reproductions/p3-floor-vs-dt.json"
P3_FLOOR_INPUT = {"floor": P3_FLOOR} if Path(P3_FLOOR).exists() else {}
P3_FLOOR_FLAG = f"--floor-record {P3_FLOOR}" if P3_FLOOR_INPUT else ""
P3_PROTOCOL = P3["protocol_run"]
P3_PROTOCOL_ALL = "-".join(str(k) for k in P3_PROTOCOL["inv_eps"])
P3_PROTOCOL_TARGETS = [p3_path(f"protocol/part_{P3_PROTOCOL_ALL}/p3-paper-protocol.md")]


def p3_protocol_part_inputs(wildcards):
    invs = [int(k) for k in wildcards.invs.split("-")]
    unknown = sorted(set(invs) - set(P3_PROTOCOL["inv_eps"]))
    if unknown:
        raise ValueError(f"1/eps {unknown} not in kinetic.protocol_run.inv_eps")
    tables = list(range(1, 12))
    return {
        "fits": [p3_path(f"protocol/fits_eps{k}.zarr") for k in invs],
        "converged": [p3_path(f"fits/table{t}.zarr") for t in tables],
    }
