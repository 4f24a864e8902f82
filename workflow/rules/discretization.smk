# P1 (Bar-Sinai et al. 2019): learned data-driven discretizations of forced Burgers' equation.
# exact data (fine WENO) -> models per resample factor -> coarse integration -> Figs. 1-3 + claims.
# KdV and KS ("Other Examples", Fig. 4): exact data (fine pseudo-spectral) -> models per factor ->
# batched coarse integration of the test runs -> valid times (with Burgers') -> Fig. 4 + claim.

p1_check_factors()

ALL_TARGETS += [
    "results/figures/P1_fig1.png",
    "results/figures/P1_fig2.png",
    "results/figures/P1_fig3.png",
    "results/figures/P1_fig4.png",
    "results/figures/P1_figS_large_domain.png",
]
CLAIM_FRAGMENTS += [
    "results/claims/P1-fig1-interp.json",
    "results/claims/P1-fig2-coeffs.json",
    "results/claims/P1-fig3-burgers.json",
    "results/claims/P1-fig4-validtime.json",
]


localrules:
    p1_figure1,
    p1_figure2,
    p1_figure3,
    p1_figure4,
    p1_figure_large,
    p1_training_length_table,


wildcard_constraints:
    factor=r"\d+",


rule p1_burgers_data:
    """Fine WENO5-Godunov solutions of forced Burgers: training runs, test runs, 10x larger domain."""
    input:
        **script_inputs("p1_burgers_data"),
    output:
        directory(p1_path("{split}.zarr")),
    log:
        "results/logs/p1_burgers_data_{split}.log",
    benchmark:
        "results/benchmarks/p1_burgers_data_{split}.tsv"
    wildcard_constraints:
        split="train|test|large",
    conda:
        CONDA_ENV
    threads: threads_of("p1_burgers_data")
    resources:
        mem_mb=mem_of("p1_burgers_data"),
        runtime=runtime_of("p1_burgers_data"),
    params:
        rule="p1_burgers_data",
        wildcards=wildcard_flags,
        flags=lambda wildcards: p1_data_flags(wildcards.split),
        # resumable: outputs committed every N output times BESIDE the directory() output (removed on success)
        checkpoint=lambda wildcards: p1_path(f"{wildcards.split}.checkpoint.zarr"),
        checkpoint_outputs=CHECKPOINT["simulation_outputs"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} {params.flags} --seed {params.seed} --scale {params.scale} --rule {params.rule}"
        " --checkpoint {params.checkpoint} --checkpoint-outputs {params.checkpoint_outputs}"
        " {params.wildcards} --output {output} > {log} 2>&1"


rule p1_train:
    """One learned discretization (NN, constant, constant + Godunov) at one resample factor."""
    input:
        **script_inputs("p1_train"),
        data=p1_path("train.zarr"),
    output:
        model=directory(p1_path("models/{model}_{factor}x.zarr")),
        history=directory(p1_path("models/{model}_{factor}x_history.zarr")),
    log:
        "results/logs/p1_train_{model}_{factor}x.log",
    benchmark:
        "results/benchmarks/p1_train_{model}_{factor}x.tsv"
    wildcard_constraints:
        model="|".join(P1_MODELS),
    conda:
        CONDA_ENV
    threads: threads_of("p1_train")
    resources:
        mem_mb=mem_of("p1_train"),
        runtime=runtime_of("p1_train"),
        gpu=gpu_of("p1_train"),
        gpu_model=gpu_model_of("p1_train"),
    params:
        rule="p1_train",
        wildcards=wildcard_flags,
        flags=p1_train_flags,
        seed=lambda wildcards: p1_seed(wildcards.model, wildcards.factor),
        # resumable training: the checkpoint lives BESIDE the directory() output (Snakemake deletes
        # outputs before a job and after a failure), is not an output, and is removed on success.
        # every checkpoint.training_steps (500: ~11 s of default-scale training lost at most per kill)
        checkpoint=lambda wildcards: p1_path(f"models/{wildcards.model}_{wildcards.factor}x.checkpoint.zarr"),
        checkpoint_every=CHECKPOINT["training_steps"],
        device=DEVICE,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --factor {wildcards.factor} {params.flags}"
        " --seed {params.seed} --scale {params.scale} --rule {params.rule} --threads {threads}"
        " --device {params.device} --checkpoint {params.checkpoint} --checkpoint-every {params.checkpoint_every}"
        " {params.wildcards}"
        " --model {output.model} --history {output.history} > {log} 2>&1"


rule p1_evaluate:
    """Every method integrated at one resample factor on the test runs or the 10x domain."""
    input:
        unpack(p1_models_of),
        **script_inputs("p1_evaluate"),
        data=p1_path("{domain}.zarr"),
    output:
        directory(p1_path("eval_{domain}_{factor}x.zarr")),
    log:
        "results/logs/p1_evaluate_{domain}_{factor}x.log",
    benchmark:
        "results/benchmarks/p1_evaluate_{domain}_{factor}x.tsv"
    wildcard_constraints:
        domain="test|large",
    conda:
        CONDA_ENV
    threads: threads_of("p1_evaluate")
    resources:
        mem_mb=mem_of("p1_evaluate"),
        runtime=runtime_of("p1_evaluate"),
    params:
        rule="p1_evaluate",
        wildcards=wildcard_flags,
        models=p1_model_flags,
        max_step=P1B["solver"]["max_step"],
        rtol=P1B["solver"]["rtol"],
        atol=P1B["solver"]["atol"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --factor {wildcards.factor} {params.models}"
        " --max-step {params.max_step} --rtol {params.rtol} --atol {params.atol} --threads {threads}"
        " --seed {params.seed} --scale {params.scale} --rule {params.rule}"
        " {params.wildcards}"
        " --output {output} > {log} 2>&1"


rule p1_interpolation:
    """Fig. 1's network: point values known every 8th fine point, the points between learned."""
    input:
        **script_inputs("p1_interpolation"),
        data=p1_path("train.zarr"),
    output:
        model=directory(p1_path("models/interpolation.zarr")),
    log:
        "results/logs/p1_interpolation.log",
    benchmark:
        "results/benchmarks/p1_interpolation.tsv"
    priority: LONG_JOB_PRIORITY
    conda:
        CONDA_ENV
    threads: threads_of("p1_interpolation")
    resources:
        mem_mb=mem_of("p1_interpolation"),
        runtime=runtime_of("p1_interpolation"),
        gpu=gpu_of("p1_interpolation"),
        gpu_model=gpu_model_of("p1_interpolation"),
    params:
        rule="p1_interpolation",
        factor=P1B["interpolation"]["factor"],
        steps=P1B["interpolation"]["steps"],
        batch=P1B["interpolation"]["batch_size"],
        lr=P1B["interpolation"]["lr"],
        lr_final=P1B["interpolation"]["lr_final"],
        max_snapshots=P1B["interpolation"]["max_snapshots"],
        layers=P1B["training"]["layers"],
        filters=P1B["training"]["filters"],
        kernel=P1B["training"]["kernel"],
        device=DEVICE,
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --factor {params.factor} --steps {params.steps}"
        " --batch-size {params.batch} --lr {params.lr} --lr-final {params.lr_final}"
        " --max-snapshots {params.max_snapshots} --layers {params.layers} --filters {params.filters}"
        " --kernel {params.kernel} --seed {params.seed} --scale {params.scale} --rule {params.rule}"
        " --device {params.device} --model {output.model} > {log} 2>&1"


rule p1_interpolation_eval:
    """Fig. 1 task on the held-out snapshots: the network vs the cubic (and 6-point, linear) interpolation."""
    input:
        **script_inputs("p1_interpolation_eval"),
        model=p1_path("models/interpolation.zarr"),
        data=p1_path("train.zarr"),
    output:
        evaluation=directory(p1_path("interpolation_eval.zarr")),
    log:
        "results/logs/p1_interpolation_eval.log",
    conda:
        CONDA_ENV
    threads: threads_of("p1_interpolation_eval")
    resources:
        mem_mb=mem_of("p1_interpolation_eval"),
        runtime=runtime_of("p1_interpolation_eval"),
    params:
        rule="p1_interpolation_eval",
        device=DEVICE,
        scale=SCALE,
    shell:
        "python {input.script} --model {input.model} --data {input.data} --threads {threads}"
        " --device {params.device} --scale {params.scale} --rule {params.rule}"
        " --evaluation {output.evaluation} > {log} 2>&1"


rule p1_figure1:
    """Fig. 1: interpolation example, exact-vs-predicted histograms, error vs curvature; claim P1-fig1-interp."""
    input:
        **script_inputs("p1_figure1"),
        **P1_RECORD_INPUT,
        evaluation=p1_path("interpolation_eval.zarr"),
        budget=p1_budget_settings("fig1"),
    output:
        figure=report("results/figures/P1_fig1.png", caption="../report/P1_fig1.rst", category="P1 Bar-Sinai 2019"),
        claim="results/claims/P1-fig1-interp.json",
    log:
        "results/logs/p1_figure1.log",
    benchmark:
        "results/benchmarks/p1_figure1.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p1_figure1")
    resources:
        mem_mb=mem_of("p1_figure1"),
        runtime=runtime_of("p1_figure1"),
    params:
        record=P1_RECORD_FLAG,
        thresholds=P1_FIG1_FLAGS,
        scale=SCALE,
    shell:
        "python {input.script} --evaluation {input.evaluation} {params.thresholds}"
        " --budget {input.budget} {params.record} --scale {params.scale} --figure {output.figure} --claim {output.claim} > {log} 2>&1"


rule p1_figure2:
    """Fig. 2: polynomial vs optimized constant coefficients, NN coefficients on a snapshot, centre of mass."""
    input:
        **script_inputs("p1_figure2"),
        **P1_RECORD_INPUT,
        const=p1_path("models/const_{}x.zarr").format(P1B["evaluation"]["fig2_factor"]),
        nn=p1_path("models/nn_{}x.zarr").format(P1B["evaluation"]["fig2_factor"]),
        data=p1_path("test.zarr"),
        budget=p1_budget_settings("fig2"),
    output:
        figure=report("results/figures/P1_fig2.png", caption="../report/P1_fig2.rst", category="P1 Bar-Sinai 2019"),
        claim="results/claims/P1-fig2-coeffs.json",
    log:
        "results/logs/p1_figure2.log",
    benchmark:
        "results/benchmarks/p1_figure2.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p1_figure2")
    resources:
        mem_mb=mem_of("p1_figure2"),
        runtime=runtime_of("p1_figure2"),
    params:
        record=P1_RECORD_FLAG,
        factor=P1B["evaluation"]["fig2_factor"],
        max_corr=P1B["claims"]["fig2_max_correlation"],
        min_dist=P1B["claims"]["fig2_min_distance"],
        scale=SCALE,
    shell:
        "python {input.script} --const {input.const} --nn {input.nn} --data {input.data} --factor {params.factor}"
        " --max-correlation {params.max_corr} --min-distance {params.min_dist} --budget {input.budget} {params.record}"
        " --scale {params.scale}"
        " --figure {output.figure} --claim {output.claim} > {log} 2>&1"


rule p1_figure3:
    """Fig. 3: coarse integration of one realization, the 32x NN on the 10x domain, MAE vs resample factor."""
    input:
        **script_inputs("p1_figure3"),
        **P1_RECORD_INPUT,
        panel_a=p1_evaluations("test", P1B["evaluation"]["fig3a_factors"]),
        panel_c=p1_evaluations("large", P1_FACTORS),
        budget=p1_budget_settings("fig3"),
    output:
        figure=report("results/figures/P1_fig3.png", caption="../report/P1_fig3.rst", category="P1 Bar-Sinai 2019"),
        claim="results/claims/P1-fig3-burgers.json",
    log:
        "results/logs/p1_figure3.log",
    benchmark:
        "results/benchmarks/p1_figure3.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p1_figure3")
    resources:
        mem_mb=mem_of("p1_figure3"),
        runtime=runtime_of("p1_figure3"),
    params:
        record=P1_RECORD_FLAG,
        sample=P1B["evaluation"]["fig3a_sample"],
        panel_b=P1B["evaluation"]["fig3b_factor"],
        t_max=P1B["evaluation"]["mae_t_max"],
        ratio=P1B["claims"]["fig3_baseline_ratio"],
        const_min=P1B["claims"]["fig3_const_min_factor"],
        train_length_pi=P1B["length_pi"],
        scale=SCALE,
    shell:
        "python {input.script} --panel-a {input.panel_a} --panel-c {input.panel_c} --sample {params.sample}"
        " --panel-b-factor {params.panel_b} --mae-t-max {params.t_max} --baseline-ratio {params.ratio}"
        " --const-min-factor {params.const_min} --train-length-pi {params.train_length_pi}"
        " --budget {input.budget} {params.record} --scale {params.scale} --figure {output.figure} --claim {output.claim} > {log} 2>&1"


# ------------------------------------------------------------------------------------------
# KdV and KS (Fig. 4) and the valid simulation time of all three equations
# ------------------------------------------------------------------------------------------

p1_pde_check()


rule p1_pde_data:
    """Fine pseudo-spectral (ETDRK4) KdV / KS solutions from random long-wavelength initial conditions."""
    input:
        **script_inputs("p1_pde_data"),
    output:
        directory("results/discretization/{pde}/{split}.zarr"),
    log:
        "results/logs/p1_pde_data_{pde}_{split}.log",
    benchmark:
        "results/benchmarks/p1_pde_data_{pde}_{split}.tsv"
    wildcard_constraints:
        pde="kdv|ks",
        split="train|test|large",
    conda:
        CONDA_ENV
    threads: threads_of("p1_pde_data")
    resources:
        mem_mb=mem_of("p1_pde_data"),
        runtime=runtime_of("p1_pde_data"),
    params:
        rule="p1_pde_data",
        wildcards=wildcard_flags,
        flags=p1_pde_data_flags,
        checkpoint=lambda wildcards: p1_pde_path(wildcards.pde, f"{wildcards.split}.checkpoint.zarr"),
        checkpoint_outputs=CHECKPOINT["simulation_outputs"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} {params.flags} --seed {params.seed} --scale {params.scale} --rule {params.rule}"
        " --checkpoint {params.checkpoint} --checkpoint-outputs {params.checkpoint_outputs}"
        " {params.wildcards} --output {output} > {log} 2>&1"


rule p1_pde_train:
    """One learned KdV / KS discretization (NN or optimized constant coefficients) at one resample factor."""
    input:
        **script_inputs("p1_train"),
        data="results/discretization/{pde}/train.zarr",
    output:
        model=directory("results/discretization/{pde}/models/{model}_{factor}x.zarr"),
        history=directory("results/discretization/{pde}/models/{model}_{factor}x_history.zarr"),
    log:
        "results/logs/p1_pde_train_{pde}_{model}_{factor}x.log",
    benchmark:
        "results/benchmarks/p1_pde_train_{pde}_{model}_{factor}x.tsv"
    wildcard_constraints:
        pde="kdv|ks",
        model="nn|const",
    conda:
        CONDA_ENV
    threads: threads_of("p1_pde_train")
    resources:
        mem_mb=mem_of("p1_pde_train"),
        runtime=runtime_of("p1_pde_train"),
        gpu=gpu_of("p1_pde_train"),
        gpu_model=gpu_model_of("p1_pde_train"),
    params:
        rule="p1_pde_train",
        wildcards=wildcard_flags,
        flags=p1_pde_train_flags,
        seed=p1_pde_seed,
        checkpoint=lambda wildcards: p1_pde_path(
            wildcards.pde, f"models/{wildcards.model}_{wildcards.factor}x.checkpoint.zarr"
        ),
        checkpoint_every=CHECKPOINT["training_steps"],
        device=DEVICE,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --factor {wildcards.factor} {params.flags}"
        " --seed {params.seed} --scale {params.scale} --rule {params.rule} --threads {threads}"
        " --device {params.device} --checkpoint {params.checkpoint} --checkpoint-every {params.checkpoint_every}"
        " {params.wildcards}"
        " --model {output.model} --history {output.history} > {log} 2>&1"


rule p1_pde_validtime:
    """All KdV / KS methods at one factor: the test (or 10x-domain) simulations as one batched integration per
    method, valid times."""
    input:
        **script_inputs("p1_pde_validtime"),
        nn="results/discretization/{pde}/models/nn_{factor}x.zarr",
        const="results/discretization/{pde}/models/const_{factor}x.zarr",
        data="results/discretization/{pde}/{domain}.zarr",
    output:
        directory("results/discretization/{pde}/validtime_{domain}_{factor}x.zarr"),
    log:
        "results/logs/p1_pde_validtime_{pde}_{domain}_{factor}x.log",
    benchmark:
        "results/benchmarks/p1_pde_validtime_{pde}_{domain}_{factor}x.tsv"
    wildcard_constraints:
        pde="kdv|ks",
        domain="test|large",
    conda:
        CONDA_ENV
    threads: threads_of("p1_pde_validtime")
    resources:
        mem_mb=mem_of("p1_pde_validtime"),
        runtime=runtime_of("p1_pde_validtime"),
    params:
        rule="p1_pde_validtime",
        wildcards=wildcard_flags,
        t_max=P1VT["t_max"],
        quantile=P1VT["threshold_quantile"],
        fraction=P1VT["fraction"],
        max_step=P1B["solver"]["max_step"],
        rtol=P1B["solver"]["rtol"],
        atol=P1B["solver"]["atol"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --factor {wildcards.factor} --model nn={input.nn}"
        " --model const={input.const} --t-max {params.t_max} --threshold-quantile {params.quantile}"
        " --fraction {params.fraction} --max-step {params.max_step} --rtol {params.rtol} --atol {params.atol}"
        " --threads {threads} --seed {params.seed} --scale {params.scale} --rule {params.rule}"
        " {params.wildcards}"
        " --output {output} > {log} 2>&1"


rule p1_valid_time:
    """Per-simulation valid times of every equation, method and factor, medians and bootstrap CIs."""
    input:
        **script_inputs("p1_valid_time"),
        burgers_data=p1_path("test.zarr"),
        burgers_evals=p1_evaluations("test", P1VT["burgers_factors"]),
        pde_evals=p1_pde_evals(),
    output:
        directory("results/discretization/valid_time.zarr"),
    log:
        "results/logs/p1_valid_time.log",
    benchmark:
        "results/benchmarks/p1_valid_time.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p1_valid_time")
    resources:
        mem_mb=mem_of("p1_valid_time"),
        runtime=runtime_of("p1_valid_time"),
    params:
        rule="p1_valid_time",
        t_max=P1VT["t_max"],
        quantile=P1VT["threshold_quantile"],
        fraction=P1VT["fraction"],
        n_boot=P1VT["n_boot"],
        ci=P1VT["ci"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --burgers-data {input.burgers_data} --burgers-evals {input.burgers_evals}"
        " --burgers-t-max {params.t_max} --pde-evals {input.pde_evals} --threshold-quantile {params.quantile}"
        " --fraction {params.fraction} --n-boot {params.n_boot} --ci {params.ci} --seed {params.seed}"
        " --scale {params.scale} --rule {params.rule} --output {output} > {log} 2>&1"


rule p1_figure4:
    """Fig. 4: median valid simulation time vs resample factor (Burgers, KdV, KS); claim P1-fig4-validtime."""
    input:
        **script_inputs("p1_figure4"),
        **P1_RECORD_INPUT,
        valid_time="results/discretization/valid_time.zarr",
        budget=p1_budget_settings("fig4"),
        training_length=f"results/tables/P1_{P1VT['training_length']['equation']}_training_length.csv",
    output:
        figure=report("results/figures/P1_fig4.png", caption="../report/P1_fig4.rst", category="P1 Bar-Sinai 2019"),
        claim="results/claims/P1-fig4-validtime.json",
    log:
        "results/logs/p1_figure4.log",
    benchmark:
        "results/benchmarks/p1_figure4.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p1_figure4")
    resources:
        mem_mb=mem_of("p1_figure4"),
        runtime=runtime_of("p1_figure4"),
    params:
        record=P1_RECORD_FLAG,
        min_valid=P1VT["min_valid_fraction"],
        note=P1VT["note"],
        scale=SCALE,
    shell:
        "python {input.script} --valid-time {input.valid_time} --min-valid-fraction {params.min_valid}"
        " --note {params.note:q} --budget {input.budget} {params.record} --training-length {input.training_length}"
        " --scale {params.scale} --figure {output.figure} --claim {output.claim} > {log} 2>&1"


rule p1_valid_time_large:
    """Valid times of KdV and KS on the 10x larger domain (the SI's check of Fig. 4), medians and bootstrap CIs."""
    input:
        **script_inputs("p1_valid_time"),
        pde_evals=p1_pde_evals("large"),
    output:
        directory("results/discretization/valid_time_large.zarr"),
    log:
        "results/logs/p1_valid_time_large.log",
    benchmark:
        "results/benchmarks/p1_valid_time_large.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p1_valid_time_large")
    resources:
        mem_mb=mem_of("p1_valid_time"),
        runtime=runtime_of("p1_valid_time"),
    params:
        rule="p1_valid_time_large",
        quantile=P1VT["threshold_quantile"],
        fraction=P1VT["fraction"],
        n_boot=P1VT["n_boot"],
        ci=P1VT["ci"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --pde-evals {input.pde_evals} --threshold-quantile {params.quantile}"
        " --fraction {params.fraction} --n-boot {params.n_boot} --ci {params.ci} --seed {params.seed}"
        " --scale {params.scale} --rule {params.rule} --output {output} > {log} 2>&1"


rule p1_figure_large:
    """Supplement to Fig. 4: median valid time of KdV and KS on the 10x larger domain (models trained on 1x)."""
    input:
        **script_inputs("p1_figure4"),
        valid_time="results/discretization/valid_time_large.zarr",
    output:
        figure=report(
            "results/figures/P1_figS_large_domain.png",
            caption="../report/P1_figS_large_domain.rst",
            category="P1 Bar-Sinai 2019",
        ),
    log:
        "results/logs/p1_figure_large.log",
    benchmark:
        "results/benchmarks/p1_figure_large.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p1_figure_large")
    resources:
        mem_mb=mem_of("p1_figure4"),
        runtime=runtime_of("p1_figure4"),
    params:
        min_valid=P1VT["min_valid_fraction"],
        scale=SCALE,
    shell:
        "python {input.script} --valid-time {input.valid_time} --min-valid-fraction {params.min_valid}"
        " --suptitle '10x larger domain (models trained on the 1x domain)' --scale {params.scale}"
        " --figure {output.figure} > {log} 2>&1"


# ------------------------------------------------------------------------------------------
# Supplement to Fig. 4: NN stability vs training length (the evidence behind the 2x KdV row)
# ------------------------------------------------------------------------------------------

P1TL = P1VT["training_length"]
P1TL_FILES = [f"results/tables/P1_{P1TL['equation']}_training_length.{ext}" for ext in ("csv", "md")]
ALL_TARGETS += P1TL_FILES


rule p1_pde_train_length:
    """The NN of one equation and factor trained for a given number of steps (same seed, data and schedule
    rule as p1_pde_train)."""
    input:
        **script_inputs("p1_train"),
        data="results/discretization/{pde}/train.zarr",
    output:
        model=directory("results/discretization/{pde}/models/length/nn_{factor}x_{steps}steps.zarr"),
        history=directory("results/discretization/{pde}/models/length/nn_{factor}x_{steps}steps_history.zarr"),
    log:
        "results/logs/p1_pde_train_length_{pde}_{factor}x_{steps}.log",
    benchmark:
        "results/benchmarks/p1_pde_train_length_{pde}_{factor}x_{steps}.tsv"
    wildcard_constraints:
        pde="kdv|ks",
        steps=r"\d+",
    conda:
        CONDA_ENV
    threads: threads_of("p1_pde_train")
    resources:
        mem_mb=mem_of("p1_pde_train"),
        runtime=runtime_of("p1_pde_train"),
        gpu=gpu_of("p1_pde_train"),
        gpu_model=gpu_model_of("p1_pde_train"),
    params:
        rule="p1_pde_train_length",
        wildcards=wildcard_flags,
        flags=lambda wildcards: p1_pde_train_args(wildcards.pde, "nn", int(wildcards.steps)),
        # the seed of the Fig. 4 NN at this factor: only the training length differs
        seed=lambda wildcards: p1_pde_seed_of(wildcards.pde, "nn", wildcards.factor),
        checkpoint=lambda wildcards: p1_pde_path(
            wildcards.pde, f"models/length/nn_{wildcards.factor}x_{wildcards.steps}steps.checkpoint.zarr"
        ),
        checkpoint_every=CHECKPOINT["training_steps"],
        device=DEVICE,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --factor {wildcards.factor} {params.flags}"
        " --seed {params.seed} --scale {params.scale} --rule {params.rule} --threads {threads}"
        " --device {params.device} --checkpoint {params.checkpoint} --checkpoint-every {params.checkpoint_every}"
        " {params.wildcards}"
        " --model {output.model} --history {output.history} > {log} 2>&1"


rule p1_pde_validtime_length:
    """Valid times of one training-length NN on the test runs (the same batched integration as Fig. 4)."""
    input:
        **script_inputs("p1_pde_validtime"),
        nn="results/discretization/{pde}/models/length/nn_{factor}x_{steps}steps.zarr",
        data="results/discretization/{pde}/test.zarr",
    output:
        directory("results/discretization/{pde}/length/validtime_{factor}x_{steps}steps.zarr"),
    log:
        "results/logs/p1_pde_validtime_length_{pde}_{factor}x_{steps}.log",
    benchmark:
        "results/benchmarks/p1_pde_validtime_length_{pde}_{factor}x_{steps}.tsv"
    wildcard_constraints:
        pde="kdv|ks",
        steps=r"\d+",
    conda:
        CONDA_ENV
    threads: threads_of("p1_pde_validtime_length")
    resources:
        mem_mb=mem_of("p1_pde_validtime"),
        runtime=runtime_of("p1_pde_validtime"),
    params:
        rule="p1_pde_validtime_length",
        wildcards=wildcard_flags,
        t_max=P1VT["t_max"],
        quantile=P1VT["threshold_quantile"],
        fraction=P1VT["fraction"],
        max_step=P1B["solver"]["max_step"],
        rtol=P1B["solver"]["rtol"],
        atol=P1B["solver"]["atol"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --factor {wildcards.factor} --model nn={input.nn} --baselines"
        " --t-max {params.t_max} --threshold-quantile {params.quantile} --fraction {params.fraction}"
        " --max-step {params.max_step} --rtol {params.rtol} --atol {params.atol}"
        " --threads {threads} --seed {params.seed} --scale {params.scale} --rule {params.rule}"
        " {params.wildcards}"
        " --output {output} > {log} 2>&1"


rule p1_training_length_table:
    """Supplement to Fig. 4: median valid time, diverged runs and validation MSE of the NN vs training length,
    beside the Fig. 4 baselines at the same factor."""
    input:
        **script_inputs("p1_training_length"),
        histories=expand(
            "results/discretization/{pde}/models/length/nn_{factor}x_{steps}steps_history.zarr",
            pde=P1TL["equation"],
            factor=P1TL["factor"],
            steps=P1TL["steps"],
        ),
        evals=expand(
            "results/discretization/{pde}/length/validtime_{factor}x_{steps}steps.zarr",
            pde=P1TL["equation"],
            factor=P1TL["factor"],
            steps=P1TL["steps"],
        ),
        fig4=f"results/discretization/{P1TL['equation']}/validtime_test_{P1TL['factor']}x.zarr",
    output:
        csv=P1TL_FILES[0],
        md=P1TL_FILES[1],
    log:
        "results/logs/p1_training_length_table.log",
    benchmark:
        "results/benchmarks/p1_training_length_table.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p1_training_length_table")
    resources:
        mem_mb=mem_of("p1_figure4"),
        runtime=runtime_of("p1_figure4"),
    params:
        n_boot=P1VT["n_boot"],
        ci=P1VT["ci"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --histories {input.histories} --evals {input.evals} --fig4 {input.fig4}"
        " --n-boot {params.n_boot} --ci {params.ci} --seed {params.seed} --scale {params.scale}"
        " --csv {output.csv} --md {output.md} > {log} 2>&1"
