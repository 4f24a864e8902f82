# P1 at the authors' own protocol (issue 22 item 3; docs/reproductions/p1-paper-protocol.md): the deciding rows of
# the P1 claims -- Fig. 1's model, the Burgers NN and constant models at 16-64x, KdV 2x and 4x, KS 8x -- trained at
# the paper's budget (40,000 steps at batch 128 on 8,000 snapshots; Fig. 1's model at batch 1,024) with several
# seeds, scored on 100 valid-time simulations per equation. discretization.protocol_run of the scale sets it; the
# rest (grids, solvers, thresholds) is the scale's. Outputs under results/discretization/protocol/:
#   {burgers,kdv,ks}/{train,test}.zarr                       exact data at the protocol's sizes
#   seed{r}/{eq}/models/{model}_{factor}x.zarr (+ _history)  one model per replica r (checkpointed beside)
#   seed{r}/burgers/interpolation{,_eval}.zarr               Fig. 1's model and its evaluation
#   seed{r}/figures/P1_fig1.png (+ P1-fig1-interp.json)      Fig. 1 of that model, its claim row
#   seed{r}/figures/P1_fig2.png (+ P1-fig2-coeffs.json)      Fig. 2 of its 16x NN and constant model, its claim row
#   {baselines,seed{r}}/burgers/eval_{test,large}_{f}x.zarr  coarse runs: the baselines once, the models per replica
#   {baselines,seed{r}}/{kdv,ks}/validtime_test_{f}x.zarr    valid times: the same split
#   {all,finished}/p1-paper-protocol.md (+ -claims.json, -seeds.json)  the record: every store / those finished
# Not in ALL_TARGETS (about 23 core-hours). The whole run: `snakemake --cores 2 p1_protocol`; killed jobs resume from
# their checkpoints; `snakemake --cores 1 results/discretization/protocol/finished/p1-paper-protocol.md` at any time.
rule p1_protocol:
    """The whole paper-protocol record of P1 (every replica and row of discretization.protocol_run)."""
    input:
        p1pr_path("all/p1-paper-protocol.md"),


rule p1_protocol_burgers_data:
    """Fine WENO Burgers data at the protocol's sizes: 8,000 training snapshots (+ rollouts), 100 test runs to
    valid_time.t_max."""
    input:
        **script_inputs("p1_burgers_data"),
    output:
        directory(p1pr_path("burgers/{split}.zarr")),
    log:
        "results/logs/p1_protocol_burgers_data_{split}.log",
    benchmark:
        "results/benchmarks/p1_protocol_burgers_data_{split}.tsv"
    wildcard_constraints:
        split="train|test",
    conda:
        CONDA_ENV
    threads: threads_of("p1_burgers_data")
    resources:
        mem_mb=mem_of("p1_burgers_data"),
        runtime=runtime_of("p1_burgers_data"),
    params:
        rule="p1_protocol_burgers_data",
        wildcards=wildcard_flags,
        flags=lambda wildcards: p1_data_flags(wildcards.split, P1PR_SECTIONS["burgers"], p1pr_large_factors()),
        checkpoint=lambda wildcards: p1pr_path(f"burgers/{wildcards.split}.checkpoint.zarr"),
        checkpoint_outputs=CHECKPOINT["simulation_outputs"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} {params.flags} --seed {params.seed} --scale {params.scale} --rule {params.rule}"
        " --checkpoint {params.checkpoint} --checkpoint-outputs {params.checkpoint_outputs}"
        " {params.wildcards} --output {output} > {log} 2>&1"


rule p1_protocol_pde_data:
    """Fine pseudo-spectral KdV / KS data at the protocol's sizes (8,000 training snapshots, 100 test runs)."""
    input:
        **script_inputs("p1_pde_data"),
    output:
        directory(p1pr_path("{pde}/{split}.zarr")),
    log:
        "results/logs/p1_protocol_pde_data_{pde}_{split}.log",
    benchmark:
        "results/benchmarks/p1_protocol_pde_data_{pde}_{split}.tsv"
    wildcard_constraints:
        pde="kdv|ks",
        split="train|test",
    conda:
        CONDA_ENV
    threads: threads_of("p1_pde_data")
    resources:
        mem_mb=mem_of("p1_pde_data"),
        runtime=runtime_of("p1_pde_data"),
    params:
        rule="p1_protocol_pde_data",
        wildcards=wildcard_flags,
        flags=lambda wildcards: p1_pde_data_flags(wildcards, P1PR_SECTIONS[wildcards.pde]),
        checkpoint=lambda wildcards: p1pr_path(f"{wildcards.pde}/{wildcards.split}.checkpoint.zarr"),
        checkpoint_outputs=CHECKPOINT["simulation_outputs"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} {params.flags} --seed {params.seed} --scale {params.scale} --rule {params.rule}"
        " --checkpoint {params.checkpoint} --checkpoint-outputs {params.checkpoint_outputs}"
        " {params.wildcards} --output {output} > {log} 2>&1"


rule p1_protocol_train:
    """One model of one replica at the paper's budget (p1_train.py; checkpointed beside its output)."""
    input:
        **script_inputs("p1_train"),
        data=p1pr_path("{eq}/train.zarr"),
    output:
        model=directory(p1pr_path("seed{seed}/{eq}/models/{model}_{factor}x.zarr")),
        history=directory(p1pr_path("seed{seed}/{eq}/models/{model}_{factor}x_history.zarr")),
    log:
        "results/logs/p1_protocol_train_seed{seed}_{eq}_{model}_{factor}x.log",
    benchmark:
        "results/benchmarks/p1_protocol_train_seed{seed}_{eq}_{model}_{factor}x.tsv"
    wildcard_constraints:
        seed=r"\d+",
        eq="burgers|kdv|ks",
        model="|".join(P1_MODELS),
    priority: LONG_JOB_PRIORITY
    conda:
        CONDA_ENV
    threads: threads_of("p1_protocol_train")
    resources:
        mem_mb=mem_of("p1_protocol_train"),
        runtime=runtime_of("p1_protocol_train"),
        gpu=gpu_of("p1_protocol_train"),
        gpu_model=gpu_model_of("p1_protocol_train"),
    params:
        rule="p1_protocol_train",
        wildcards=wildcard_flags,
        flags=p1pr_train_flags,
        seed=lambda wildcards: p1pr_seed(wildcards.eq, wildcards.model, wildcards.factor, wildcards.seed),
        checkpoint=lambda wildcards: p1pr_path(
            f"seed{wildcards.seed}/{wildcards.eq}/models/{wildcards.model}_{wildcards.factor}x.checkpoint.zarr"
        ),
        checkpoint_every=P1PR["checkpoint_every"],
        device=DEVICE,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --factor {wildcards.factor} {params.flags}"
        " --seed {params.seed} --scale {params.scale} --rule {params.rule} --threads {threads}"
        " --device {params.device} --checkpoint {params.checkpoint} --checkpoint-every {params.checkpoint_every}"
        " {params.wildcards}"
        " --model {output.model} --history {output.history} > {log} 2>&1"


rule p1_protocol_interpolation:
    """Fig. 1's model of one replica at the paper's budget (checkpointed beside its output)."""
    input:
        **script_inputs("p1_interpolation"),
        data=p1pr_path("burgers/train.zarr"),
    output:
        model=directory(p1pr_path("seed{seed}/burgers/interpolation.zarr")),
    log:
        "results/logs/p1_protocol_interpolation_seed{seed}.log",
    benchmark:
        "results/benchmarks/p1_protocol_interpolation_seed{seed}.tsv"
    wildcard_constraints:
        seed=r"\d+",
    priority: LONG_JOB_PRIORITY
    conda:
        CONDA_ENV
    threads: threads_of("p1_protocol_interpolation")
    resources:
        mem_mb=mem_of("p1_protocol_interpolation"),
        runtime=runtime_of("p1_protocol_interpolation"),
        gpu=gpu_of("p1_protocol_interpolation"),
        gpu_model=gpu_model_of("p1_protocol_interpolation"),
    params:
        rule="p1_protocol_interpolation",
        wildcards=wildcard_flags,
        it=P1PR_SECTIONS["burgers"]["interpolation"],
        tr=P1B["training"],
        seed=lambda wildcards: SEED + P1PR_SEED_STRIDE * int(wildcards.seed),
        checkpoint=p1pr_path("seed{seed}/burgers/interpolation.checkpoint.zarr"),
        checkpoint_every=P1PR["checkpoint_every"],
        device=DEVICE,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --factor {params.it[factor]} --steps {params.it[steps]}"
        " --batch-size {params.it[batch_size]} --lr {params.it[lr]} --lr-final {params.it[lr_final]}"
        " --max-snapshots {params.it[max_snapshots]} --layers {params.tr[layers]} --filters {params.tr[filters]}"
        " --kernel {params.tr[kernel]} --seed {params.seed} --scale {params.scale} --rule {params.rule}"
        " --threads {threads} --device {params.device} --checkpoint {params.checkpoint}"
        " --checkpoint-every {params.checkpoint_every} {params.wildcards}"
        " --model {output.model} > {log} 2>&1"


rule p1_protocol_interpolation_eval:
    """Fig. 1's model of one replica on the held-out snapshots, against the polynomial baselines."""
    input:
        **script_inputs("p1_interpolation_eval"),
        model=p1pr_path("seed{seed}/burgers/interpolation.zarr"),
        data=p1pr_path("burgers/train.zarr"),
    output:
        evaluation=directory(p1pr_path("seed{seed}/burgers/interpolation_eval.zarr")),
    log:
        "results/logs/p1_protocol_interpolation_eval_seed{seed}.log",
    wildcard_constraints:
        seed=r"\d+",
    conda:
        CONDA_ENV
    threads: threads_of("p1_interpolation_eval")
    resources:
        mem_mb=mem_of("p1_interpolation_eval"),
        runtime=runtime_of("p1_interpolation_eval"),
    params:
        rule="p1_protocol_interpolation_eval",
        wildcards=wildcard_flags,
        device=DEVICE,
        scale=SCALE,
    shell:
        "python {input.script} --model {input.model} --data {input.data} --threads {threads}"
        " --device {params.device} --scale {params.scale} --rule {params.rule} {params.wildcards}"
        " --evaluation {output.evaluation} > {log} 2>&1"


rule p1_protocol_figure1:
    """Fig. 1 drawn from one replica's model at the paper's budget (p1_figure1.py, as rule p1_figure1), with that
    replica's claim row; the record scores every replica and lists these figures."""
    input:
        **script_inputs("p1_figure1"),
        evaluation=p1pr_path("seed{seed}/burgers/interpolation_eval.zarr"),
        budget=P1PR_FIG1_BUDGET,
    output:
        figure=p1pr_path("seed{seed}/figures/P1_fig1.png"),
        claim=p1pr_path("seed{seed}/figures/P1-fig1-interp.json"),
    log:
        "results/logs/p1_protocol_figure1_seed{seed}.log",
    wildcard_constraints:
        seed=r"\d+",
    conda:
        CONDA_ENV
    threads: threads_of("p1_figure1")
    resources:
        mem_mb=mem_of("p1_figure1"),
        runtime=runtime_of("p1_figure1"),
    params:
        thresholds=P1_FIG1_FLAGS,
        scale=SCALE,
    shell:
        "python {input.script} --evaluation {input.evaluation} {params.thresholds}"
        " --budget {input.budget} --scale {params.scale} --figure {output.figure} --claim {output.claim} > {log} 2>&1"


rule p1_protocol_figure2:
    """Fig. 2 drawn from one replica's Burgers NN and constant model at fig2_factor (p1_figure2.py, as rule
    p1_figure2), with that replica's claim row; the record scores every replica and lists these figures."""
    input:
        unpack(lambda wildcards: p1pr_fig2_models(wildcards.seed)),
        **script_inputs("p1_figure2"),
        data=p1pr_path("burgers/test.zarr"),
        budget=P1PR_FIG2_BUDGET,
    output:
        figure=p1pr_path("seed{seed}/figures/P1_fig2.png"),
        claim=p1pr_path("seed{seed}/figures/P1-fig2-coeffs.json"),
    log:
        "results/logs/p1_protocol_figure2_seed{seed}.log",
    wildcard_constraints:
        seed=r"\d+",
    conda:
        CONDA_ENV
    threads: threads_of("p1_figure2")
    resources:
        mem_mb=mem_of("p1_figure2"),
        runtime=runtime_of("p1_figure2"),
    params:
        factor=P1PR["fig2_factor"],
        max_corr=P1B["claims"]["fig2_max_correlation"],
        min_dist=P1B["claims"]["fig2_min_distance"],
        scale=SCALE,
    shell:
        "python {input.script} --const {input.const} --nn {input.nn} --data {input.data} --factor {params.factor}"
        " --max-correlation {params.max_corr} --min-distance {params.min_dist} --budget {input.budget}"
        " --scale {params.scale} --figure {output.figure} --claim {output.claim} > {log} 2>&1"


rule p1_protocol_evaluate:
    """Burgers coarse runs at one factor on the protocol's test runs or the 10x domain: the baselines once, the
    learned models per replica."""
    input:
        unpack(p1pr_eval_models),
        **script_inputs("p1_evaluate"),
        data=lambda wildcards: p1pr_path("burgers/test.zarr") if wildcards.domain == "test" else p1_path("large.zarr"),
    output:
        directory(p1pr_path("{who}/{eq}/eval_{domain}_{factor}x.zarr")),
    log:
        "results/logs/p1_protocol_evaluate_{who}_{eq}_{domain}_{factor}x.log",
    benchmark:
        "results/benchmarks/p1_protocol_evaluate_{who}_{eq}_{domain}_{factor}x.tsv"
    wildcard_constraints:
        who=r"baselines|seed\d+",
        eq="burgers",
        domain="test|large",
    conda:
        CONDA_ENV
    threads: threads_of("p1_evaluate")
    resources:
        mem_mb=mem_of("p1_evaluate"),
        runtime=runtime_of("p1_evaluate"),
    params:
        rule="p1_protocol_evaluate",
        wildcards=wildcard_flags,
        methods=p1pr_eval_flags,
        max_step=P1B["solver"]["max_step"],
        rtol=P1B["solver"]["rtol"],
        atol=P1B["solver"]["atol"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --factor {wildcards.factor} {params.methods}"
        " --max-step {params.max_step} --rtol {params.rtol} --atol {params.atol} --threads {threads}"
        " --seed {params.seed} --scale {params.scale} --rule {params.rule}"
        " {params.wildcards}"
        " --output {output} > {log} 2>&1"


rule p1_protocol_validtime:
    """KdV / KS valid times at one factor on the protocol's test runs: the baselines once, the learned models per
    replica (one batched integration per method)."""
    input:
        unpack(p1pr_eval_models),
        **script_inputs("p1_pde_validtime"),
        data=p1pr_path("{eq}/test.zarr"),
    output:
        directory(p1pr_path("{who}/{eq}/validtime_test_{factor}x.zarr")),
    log:
        "results/logs/p1_protocol_validtime_{who}_{eq}_{factor}x.log",
    benchmark:
        "results/benchmarks/p1_protocol_validtime_{who}_{eq}_{factor}x.tsv"
    wildcard_constraints:
        who=r"baselines|seed\d+",
        eq="kdv|ks",
    conda:
        CONDA_ENV
    threads: threads_of("p1_pde_validtime")
    resources:
        mem_mb=mem_of("p1_pde_validtime"),
        runtime=runtime_of("p1_pde_validtime"),
    params:
        rule="p1_protocol_validtime",
        wildcards=wildcard_flags,
        methods=p1pr_eval_flags,
        t_max=P1VT["t_max"],
        quantile=P1VT["threshold_quantile"],
        fraction=P1VT["fraction"],
        max_step=P1B["solver"]["max_step"],
        rtol=P1B["solver"]["rtol"],
        atol=P1B["solver"]["atol"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --factor {wildcards.factor} {params.methods}"
        " --t-max {params.t_max} --threshold-quantile {params.quantile} --fraction {params.fraction}"
        " --max-step {params.max_step} --rtol {params.rtol} --atol {params.atol}"
        " --threads {threads} --seed {params.seed} --scale {params.scale} --rule {params.rule}"
        " {params.wildcards}"
        " --output {output} > {log} 2>&1"


rule p1_protocol_record:
    """The paper-protocol record over every store of the run ({view} = all) or those finished so far (finished):
    per row the paper's statement and ours per replica, the claim rows, wall-clock per job, commit, config."""
    input:
        unpack(p1pr_record_inputs),
        **script_inputs("p1_protocol_record"),
    output:
        md=p1pr_path("{view}/p1-paper-protocol.md"),
        claims=p1pr_path("{view}/p1-paper-protocol-claims.json"),
        seeds=p1pr_path("{view}/p1-paper-protocol-seeds.json"),
    log:
        "results/logs/p1_protocol_record_{view}.log",
    wildcard_constraints:
        view="|".join(P1PR_VIEWS),
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=6000,
        runtime=30,
    params:
        scale=SCALE,
        command=lambda wildcards, output: f"snakemake --cores 2 {output.md}",
    shell:
        "python {input.script} --plan {input.plan} --benchmarks results/benchmarks --benchmark-prefix p1_protocol_"
        " --command {params.command:q} --scale {params.scale} --figures {input.figures} --md {output.md}"
        " --claims {output.claims} --seeds {output.seeds} > {log} 2>&1"
