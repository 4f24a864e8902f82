# The project's own claims that the DAG measures itself (IDs of shared/CLAIMS.md):
# X-determinism: one seeded simulation rule (p2_homog1d: random initial conditions, a stiff BDF solve; seconds
#   at every scale) rerun with the same flags and seed into a fresh store, compared bit for bit with the pipeline's;
# X-provenance: the root attrs of every store that a rule outputs, scanned once every other job has run;
# X-speed-equal-accuracy: the learned Burgers solvers vs WENO at equal MAE (the Fig. 3C evaluation), both timed
#   side by side in one job (coarsepde.discretization.speed, shared with benchmarks/bench_accuracy.py);
# X-p2-cost-vs-original: one 1D patch-dynamics macro step at the paper's micro resolution, timed
#   (homogenization.one_d.cost_check), against the original's cost per macro step.
# Included after the paper rules (it reads their outputs) and before report.smk (rule claims gathers the fragments).

# Every rule's Zarr outputs (patterns, wildcards unexpanded) and every artifact and claim fragment so far: the
# stores X-provenance scans exist once those are built.
X_STORE_PATTERNS = {r.name: sorted(str(o) for o in r.output if str(o).endswith(".zarr")) for r in workflow.rules}
X_STORE_PATTERNS = {name: outs for name, outs in X_STORE_PATTERNS.items() if outs}
X_PROVENANCE_AFTER = list(ALL_TARGETS) + list(CLAIM_FRAGMENTS)
X_DETERMINISM_RULE = "p2_homog1d"

CLAIM_FRAGMENTS += [
    "results/claims/X-determinism.json",
    "results/claims/X-provenance.json",
    "results/claims/X-speed-equal-accuracy.json",
    "results/claims/X-p2-cost-vs-original.json",
]


localrules:
    x_provenance,


rule x_determinism_rerun:
    """X-determinism: p2_homog1d's job again (same script, flags, seed, threads) into a fresh store, removed
    once compared. It records itself as p2_homog1d (--rule), so that equal data gives equal bytes."""
    input:
        **script_inputs("p2_homog1d"),
        effective=rules.p2_homog1d.input.effective,
    output:
        temp(directory("results/x_claims/p2_homog1d_rerun.zarr")),
    log:
        "results/logs/x_determinism_rerun.log",
    benchmark:
        "results/benchmarks/x_determinism_rerun.tsv"
    conda:
        CONDA_ENV
    threads: threads_of(X_DETERMINISM_RULE)
    resources:
        mem_mb=mem_of(X_DETERMINISM_RULE),
        runtime=runtime_of(X_DETERMINISM_RULE),
    params:
        problem=rules.p2_homog1d.params.problem,
        nodes=rules.p2_homog1d.params.nodes,
        dt=rules.p2_homog1d.params.dt,
        n_steps=rules.p2_homog1d.params.n_steps,
        rule=X_DETERMINISM_RULE,
    shell:
        "python {input.script} {params.problem} --effective {input.effective} --reference-nodes {params.nodes}"
        " --dt {params.dt} --n-steps {params.n_steps} --rule {params.rule} --output {output} > {log} 2>&1"


rule x_determinism:
    """X-determinism: the rerun store against the pipeline's, decoded arrays bit for bit and files byte for byte."""
    input:
        **script_inputs("x_determinism"),
        reference=rules.p2_homog1d.output[0],
        rerun=rules.x_determinism_rerun.output[0],
    output:
        "results/claims/X-determinism.json",
    log:
        "results/logs/x_determinism.log",
    benchmark:
        "results/benchmarks/x_determinism.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("x_determinism")
    resources:
        mem_mb=mem_of("x_determinism"),
        runtime=runtime_of("x_determinism"),
    params:
        compared=X_DETERMINISM_RULE,
        seed=SEED,
        scale=SCALE,
        name="x_determinism",  # the rule's name (snakemake --lint flags {rule} in a shell line)
    shell:
        "python {input.script} --reference {input.reference} --rerun {input.rerun} --compared-rule {params.compared}"
        " --seed {params.seed} --scale {params.scale} --rule {params.name} --output {output} > {log} 2>&1"


rule x_provenance:
    """X-provenance: the provenance of every store a rule outputs, once every artifact and claim is built."""
    input:
        **script_inputs("x_provenance"),
        settings=settings_path("x_provenance", {"stores": X_STORE_PATTERNS}),
        after=X_PROVENANCE_AFTER,
    output:
        "results/claims/X-provenance.json",
    log:
        "results/logs/x_provenance.log",
    benchmark:
        "results/benchmarks/x_provenance.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("x_provenance")
    resources:
        mem_mb=mem_of("x_provenance"),
        runtime=runtime_of("x_provenance"),
    params:
        scale=SCALE,
        name="x_provenance",  # the rule's name (snakemake --lint flags {rule} in a shell line)
    shell:
        "python {input.script} --settings {input.settings} --scale {params.scale} --rule {params.name}"
        " --output {output} > {log} 2>&1"


rule x_speed_equal_accuracy:
    """X-speed-equal-accuracy: each learned Burgers model at each factor vs WENO at the coarsest factor with an MAE
    as small (the Fig. 3C evaluation), both timed side by side in this job on the evaluation runs."""
    input:
        **script_inputs("x_speed_equal_accuracy"),
        data=p1_path("large.zarr"),
        evaluations=p1_evaluations("large", P1_FACTORS),
        models=[p1_path(f"models/{m}_{f}x.zarr") for m in P1_MODELS for f in P1_FACTORS],
    output:
        "results/claims/X-speed-equal-accuracy.json",
    log:
        "results/logs/x_speed_equal_accuracy.log",
    benchmark:
        "results/benchmarks/x_speed_equal_accuracy.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("x_speed_equal_accuracy")
    resources:
        mem_mb=mem_of("x_speed_equal_accuracy"),
        runtime=runtime_of("x_speed_equal_accuracy"),
    params:
        evaluations=" ".join(f"--evaluation {f}={p1_path(f'eval_large_{f}x.zarr')}" for f in P1_FACTORS),
        models=" ".join(f"--model {m}_{f}={p1_path(f'models/{m}_{f}x.zarr')}" for m in P1_MODELS for f in P1_FACTORS),
        t_max=P1B["evaluation"]["mae_t_max"],
        max_step=P1B["solver"]["max_step"],
        rtol=P1B["solver"]["rtol"],
        atol=P1B["solver"]["atol"],
        fraction=P1B["claims"]["speed_accurate_fraction"],
        span=P1B["claims"]["speed_time_span"],
        repeats=P1B["claims"]["speed_repeats"],
        scale=SCALE,
        name="x_speed_equal_accuracy",  # the rule's name (snakemake --lint flags {rule} in a shell line)
    shell:
        "python {input.script} --data {input.data} {params.evaluations} {params.models}"
        " --mae-t-max {params.t_max} --max-step {params.max_step} --rtol {params.rtol} --atol {params.atol}"
        " --accurate-fraction {params.fraction} --span {params.span} --repeats {params.repeats}"
        " --threads {threads} --scale {params.scale} --rule {params.name} --output {output} > {log} 2>&1"


rule x_p2_cost:
    """X-p2-cost-vs-original: one 1D patch-dynamics macro step at the paper's micro resolution (cost_check), timed."""
    input:
        **script_inputs("x_p2_cost"),
        settings=settings_path("x_p2_cost", P1D["cost_check"]),
    output:
        "results/claims/X-p2-cost-vs-original.json",
    log:
        "results/logs/x_p2_cost.log",
    benchmark:
        "results/benchmarks/x_p2_cost.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("x_p2_cost")
    resources:
        mem_mb=mem_of("x_p2_cost"),
        runtime=runtime_of("x_p2_cost"),
    params:
        problem=patch1d_flags(
            points_per_period=P1D["cost_check"]["points_per_period"], n_traj=P1D["cost_check"]["trajectories"]
        ),
        macro_dt=P1D["macro_dt"],
        method=P1D["macro_method"],
        scale=SCALE,
        name="x_p2_cost",  # the rule's name (snakemake --lint flags {rule} in a shell line)
    shell:
        "python {input.script} {params.problem} --macro-dt {params.macro_dt} --macro-method {params.method}"
        " --settings {input.settings} --scale {params.scale} --rule {params.name} --output {output} > {log} 2>&1"
