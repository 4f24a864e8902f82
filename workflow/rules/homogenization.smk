# P2 (Arbabi et al. 2020): equation-free data collection and learned homogenized PDEs.
# Foundation: the effective coefficients of the 1D and 2D problems (Eqs. 4-6, 22, 25-27).

EFF = config["homogenization"]["effective_coefficients"]

ALL_TARGETS += [
    "results/homogenization/effective_coefficients.zarr",
    "results/tables/P2_effective_coefficients.csv",
    "results/tables/P2_effective_coefficients.md",
    "results/figures/P2_effective_coefficients.png",
]
CLAIM_FRAGMENTS += ["results/claims/P2-astar-1d.json", "results/claims/P2-astar-2d.json"]


localrules:
    effective_coefficients_table,
    effective_coefficients_figure,
    p2_figure1d,
    p2_figure2d,


rule effective_coefficients:
    """Solve the 1D cell problem at every resolution and the 2D lattice cell problem per alignment."""
    input:
        **script_inputs("effective_coefficients"),
    output:
        directory("results/homogenization/effective_coefficients.zarr"),
    log:
        "results/logs/effective_coefficients.log",
    benchmark:
        "results/benchmarks/effective_coefficients.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("effective_coefficients")
    resources:
        mem_mb=mem_of("effective_coefficients"),
        runtime=runtime_of("effective_coefficients"),
    params:
        rule="effective_coefficients",
        a_mean=EFF["one_d"]["a_mean"],
        a_amplitude=EFF["one_d"]["a_amplitude"],
        resolutions=list_arg(EFF["one_d"]["resolutions"]),
        kappa_x=matrix_arg(EFF["two_d"]["kappa_x"]),
        kappa_y=matrix_arg(EFF["two_d"]["kappa_y"]),
        alignments=" ".join(
            f"--alignment {name}:{matrix_arg([a['x_link_offset']])}:{matrix_arg([a['y_link_offset']])}"
            for name, a in EFF["two_d"]["alignments"].items()
        ),
        printed_decimals=EFF["two_d"]["printed_decimals"],
        bloch_lattice_n=list_arg(EFF["two_d"]["bloch_lattice_n"]),
        bloch_modes=matrix_arg(EFF["two_d"]["bloch_modes"]),
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --a-mean {params.a_mean} --a-amplitude {params.a_amplitude}"
        " --resolutions {params.resolutions} --kappa-x {params.kappa_x:q} --kappa-y {params.kappa_y:q}"
        " {params.alignments} --printed-decimals {params.printed_decimals}"
        " --bloch-lattice-n {params.bloch_lattice_n} --bloch-modes {params.bloch_modes:q}"
        " --seed {params.seed} --scale {params.scale} --rule {params.rule} --output {output} > {log} 2>&1"


rule effective_coefficients_table:
    """Tables of a* and K (with notes) and the checks of claims P2-astar-1d / P2-astar-2d."""
    input:
        **script_inputs("effective_coefficients_table"),
        store="results/homogenization/effective_coefficients.zarr",
    output:
        csv=report(
            "results/tables/P2_effective_coefficients.csv",
            caption="../report/P2_effective_coefficients_table.rst",
            category="P2 homogenization",
            subcategory="effective coefficients",
        ),
        md="results/tables/P2_effective_coefficients.md",
        claim_1d="results/claims/P2-astar-1d.json",
        claim_2d="results/claims/P2-astar-2d.json",
    log:
        "results/logs/effective_coefficients_table.log",
    benchmark:
        "results/benchmarks/effective_coefficients_table.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("effective_coefficients_table")
    resources:
        mem_mb=mem_of("effective_coefficients_table"),
        runtime=runtime_of("effective_coefficients_table"),
    params:
        paper_1d=EFF["one_d"]["paper_value"],
        paper_diagonal=list_arg(EFF["two_d"]["paper_diagonal"]),
        primary=EFF["two_d"]["primary_alignment"],
        rel_tol_exact=EFF["claims"]["astar_1d_rel_tol_exact"],
        rel_tol_paper=EFF["claims"]["astar_1d_rel_tol_paper"],
        abs_tol_2d=EFF["claims"]["astar_2d_abs_tol"],
        scale=SCALE,
    shell:
        "python {input.script} --store {input.store} --paper-1d {params.paper_1d}"
        " --paper-diagonal {params.paper_diagonal} --primary-alignment {params.primary}"
        " --rel-tol-exact {params.rel_tol_exact} --rel-tol-paper {params.rel_tol_paper}"
        " --abs-tol-2d {params.abs_tol_2d} --scale {params.scale}"
        " --csv {output.csv} --md {output.md} --claim-1d {output.claim_1d} --claim-2d {output.claim_2d}"
        " > {log} 2>&1"


rule effective_coefficients_figure:
    """Convergence of a* (1D) and of the lattice decay rates to K (2D)."""
    input:
        **script_inputs("effective_coefficients_figure"),
        store="results/homogenization/effective_coefficients.zarr",
    output:
        report(
            "results/figures/P2_effective_coefficients.png",
            caption="../report/P2_effective_coefficients_figure.rst",
            category="P2 homogenization",
            subcategory="effective coefficients",
        ),
    log:
        "results/logs/effective_coefficients_figure.log",
    benchmark:
        "results/benchmarks/effective_coefficients_figure.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("effective_coefficients_figure")
    resources:
        mem_mb=mem_of("effective_coefficients_figure"),
        runtime=runtime_of("effective_coefficients_figure"),
    params:
        paper_1d=EFF["one_d"]["paper_value"],
        paper_diagonal=list_arg(EFF["two_d"]["paper_diagonal"]),
        primary=EFF["two_d"]["primary_alignment"],
    shell:
        "python {input.script} --store {input.store} --paper-1d {params.paper_1d}"
        " --paper-diagonal {params.paper_diagonal} --primary-alignment {params.primary}"
        " --output {output} > {log} 2>&1"


# ------------------------------------------------------------------------------------------
# P2 1D (Sect. 5.1): patch dynamics, references, learning, Figs. 1, 2, 4, 5
# ------------------------------------------------------------------------------------------

ALL_TARGETS += [
    "results/figures/P2_fig1.png",
    "results/figures/P2_fig2.png",
    "results/figures/P2_fig4.png",
    "results/figures/P2_fig5.png",
]
# Fig. 1 -> P2-fig1-grid; Fig. 2 -> P2-fig2-snapshot, P2-cost; Fig. 4 -> P2-fig4-rhs; Fig. 5 -> P2-fig5-integrate
CLAIM_FRAGMENTS += [f"results/claims/P2_fig{n}.json" for n in (1, 2, 4, 5)]


rule p2_patch1d:
    """Patch-dynamics trajectories (training and test data)."""
    input:
        **script_inputs("p2_patch1d"),
    output:
        directory("results/homogenization/patch1d.zarr"),
    log:
        "results/logs/p2_patch1d.log",
    benchmark:
        "results/benchmarks/p2_patch1d.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p2_patch1d")
    resources:
        mem_mb=mem_of("p2_patch1d"),
        runtime=runtime_of("p2_patch1d"),
    params:
        rule="p2_patch1d",
        problem=patch1d_flags(),
        macro_dt=P1D["macro_dt"],
        method=P1D["macro_method"],
        n_patch=N_PATCH_TRAJ,
        n_steps=P1D["n_steps"],
    shell:
        "python {input.script} {params.problem} --macro-dt {params.macro_dt} --macro-method {params.method}"
        " --n-patch-traj {params.n_patch} --n-steps {params.n_steps} --rule {params.rule}"
        " --output {output} > {log} 2>&1"


rule p2_homog1d:
    """Homogenized FD reference (Eq. 22) for every trajectory, a* from the cell problem."""
    input:
        **script_inputs("p2_homog1d"),
        effective="results/homogenization/effective_coefficients.zarr",
    output:
        directory("results/homogenization/homog1d.zarr"),
    log:
        "results/logs/p2_homog1d.log",
    benchmark:
        "results/benchmarks/p2_homog1d.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p2_homog1d")
    resources:
        mem_mb=mem_of("p2_homog1d"),
        runtime=runtime_of("p2_homog1d"),
    params:
        rule="p2_homog1d",
        problem=patch1d_flags(),
        nodes=P1D["reference_nodes"],
        dt=P1D["macro_dt"],
        n_steps=P1D["n_steps"],
    shell:
        "python {input.script} {params.problem} --effective {input.effective} --reference-nodes {params.nodes}"
        " --dt {params.dt} --n-steps {params.n_steps} --rule {params.rule} --output {output} > {log} 2>&1"


rule p2_fully_resolved:
    """Fig. 2 data: the detailed problem on all of [0, 1] vs patch dynamics, with wall-clock (P2-cost)."""
    input:
        **script_inputs("p2_fully_resolved"),
        effective="results/homogenization/effective_coefficients.zarr",
    output:
        store=directory("results/homogenization/fully_resolved1d.zarr"),
        timing="results/homogenization/fully_resolved1d_timing.json",
    log:
        "results/logs/p2_fully_resolved.log",
    benchmark:
        "results/benchmarks/p2_fully_resolved.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p2_fully_resolved")
    resources:
        mem_mb=mem_of("p2_fully_resolved"),
        runtime=runtime_of("p2_fully_resolved"),
    params:
        rule="p2_fully_resolved",
        problem=patch1d_flags(),
        trajectory=P1D["n_train"],  # the first test trajectory
        macro_dt=P1D["macro_dt"],
        t_final=P1D["fully_resolved"]["t_final"],
        ppp=P1D["fully_resolved"]["points_per_period"],
        first=P1D["fully_resolved"]["first_step"],
        growth=P1D["fully_resolved"]["growth"],
        max_step=P1D["fully_resolved"]["max_step"],
        zoom=P1D["fully_resolved"]["zoom_periods"],
        nodes=P1D["reference_nodes"],
    shell:
        "python {input.script} {params.problem} --trajectory {params.trajectory} --macro-dt {params.macro_dt}"
        " --t-final {params.t_final} --fr-points-per-period {params.ppp} --fr-first-step {params.first}"
        " --fr-growth {params.growth} --fr-max-step {params.max_step} --zoom-periods {params.zoom}"
        " --reference-nodes {params.nodes} --effective {input.effective} --rule {params.rule}"
        " --output {output.store} --timing {output.timing} > {log} 2>&1"


rule p2_train1d:
    """Train one architecture on the patch-dynamics data."""
    input:
        **script_inputs("p2_train1d"),
        data="results/homogenization/patch1d.zarr",
    output:
        weights=directory("results/homogenization/models/p2_1d_{arch}.zarr"),
        history=directory("results/homogenization/models/p2_1d_{arch}_history.zarr"),
    log:
        "results/logs/p2_train1d_{arch}.log",
    benchmark:
        "results/benchmarks/p2_train1d_{arch}.tsv"
    wildcard_constraints:
        arch="functional|discretized",
    conda:
        CONDA_ENV
    threads: threads_of("p2_train1d")
    resources:
        mem_mb=mem_of("p2_train1d"),
        runtime=runtime_of("p2_train1d"),
    params:
        rule="p2_train1d",
        wildcards=wildcard_flags,
        n_train=P1D["n_train"],
        t_max=P1D["learning"]["train_time_max"],
        epochs=P1D["learning"]["epochs"],
        batch=P1D["learning"]["batch_size"],
        lr=P1D["learning"]["lr"],
        val=P1D["learning"]["val_fraction"],
        hidden=P1D["learning"]["hidden"],
        seed=SEED,
        device=DEVICE,
    shell:
        "python {input.script} --data {input.data} --arch {wildcards.arch} --n-train {params.n_train}"
        " --train-time-max {params.t_max} --epochs {params.epochs} --batch-size {params.batch} --lr {params.lr}"
        " --val-fraction {params.val} --hidden {params.hidden} --seed {params.seed} --threads {threads} --device {params.device}"
        " --rule {params.rule} {params.wildcards}"
        " --weights {output.weights} --history {output.history} > {log} 2>&1"


rule p2_evaluate1d:
    """RHS prediction on the test trajectories and BDF integration of an unseen initial condition."""
    input:
        **script_inputs("p2_evaluate1d"),
        data="results/homogenization/patch1d.zarr",
        reference="results/homogenization/homog1d.zarr",
        weights="results/homogenization/models/p2_1d_{arch}.zarr",
    output:
        directory("results/homogenization/p2_1d_{arch}_evaluation.zarr"),
    log:
        "results/logs/p2_evaluate1d_{arch}.log",
    benchmark:
        "results/benchmarks/p2_evaluate1d_{arch}.tsv"
    wildcard_constraints:
        arch="functional|discretized",
    conda:
        CONDA_ENV
    threads: threads_of("p2_evaluate1d")
    resources:
        mem_mb=mem_of("p2_evaluate1d"),
        runtime=runtime_of("p2_evaluate1d"),
    params:
        rule="p2_evaluate1d",
        wildcards=wildcard_flags,
        hidden=P1D["learning"]["hidden"],
        n_train=P1D["n_train"],
        n_test=P1D["n_test"],
        t_max=P1D["learning"]["integrate_time_max"],
        late=P1D["claims"]["late_time"],
        wrong_a=P1D["a_mean"],  # the arithmetic mean of a(y): the naive, wrong effective diffusivity
    shell:
        "python {input.script} --data {input.data} --reference {input.reference} --weights {input.weights}"
        " --arch {wildcards.arch} --hidden {params.hidden} --n-train {params.n_train} --n-test {params.n_test}"
        " --time-max {params.t_max} --late-time {params.late} --wrong-a {params.wrong_a} --rule {params.rule} {params.wildcards}"
        " --output {output} > {log} 2>&1"


rule p2_figure1d:
    """Figs. 1, 2, 4, 5 of Arbabi et al. (1D) and their claim checks."""
    input:
        unpack(p2_figure_inputs),
    output:
        figure=report(
            "results/figures/P2_fig{n}.png",
            caption="../report/P2_fig1d.rst",
            category="P2 homogenization",
            subcategory="1D",
        ),
        claims="results/claims/P2_fig{n}.json",
    log:
        "results/logs/p2_figure1d_{n}.log",
    benchmark:
        "results/benchmarks/p2_figure1d_{n}.tsv"
    wildcard_constraints:
        n="1|2|4|5",
    conda:
        CONDA_ENV
    threads: threads_of("p2_figure1d")
    resources:
        mem_mb=mem_of("p2_figure1d"),
        runtime=runtime_of("p2_figure1d"),
    params:
        inputs=p2_figure_flags,
        eps=P1D["eps"],
        tooth=P1D["tooth_width"],
        patch=P1D["patch_width"],
        burst=P1D["burst"],
        macro_dt=P1D["macro_dt"],
        tol=lambda wc: {
            "1": 1.0,
            "2": P1D["claims"]["snapshot_rel_l2"],
            "4": P1D["claims"]["rhs_rmse"],
            "5": P1D["claims"]["traj_rmse"],
        }[wc.n],
        scale=SCALE,
    shell:
        "python {input.script} {wildcards.n} {params.inputs} --eps {params.eps} --tooth-width {params.tooth}"
        " --patch-width {params.patch} --burst {params.burst} --macro-dt {params.macro_dt} --tol {params.tol}"
        " --scale {params.scale} --output {output.figure} --claim {output.claims} > {log} 2>&1"


# ------------------------------------------------------------------------------------------
# P2 2D (Sect. 5.2)
# ------------------------------------------------------------------------------------------

CLAIM_FRAGMENTS += ["results/claims/X-p2-tensor.json"]


rule p2_data2d:
    """Gap-tooth trajectories on the lattice and the homogenized references (full tensor, Eq. 27)."""
    input:
        **script_inputs("p2_data2d"),
        effective="results/homogenization/effective_coefficients.zarr",
    output:
        patch=directory("results/homogenization/patch2d.zarr"),
        homog=directory("results/homogenization/homog2d.zarr"),
        claim="results/claims/X-p2-tensor.json",
    log:
        "results/logs/p2_data2d.log",
    benchmark:
        "results/benchmarks/p2_data2d.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p2_data2d")
    resources:
        mem_mb=mem_of("p2_data2d"),
        runtime=runtime_of("p2_data2d"),
    params:
        rule="p2_data2d",
        kappa_x=matrix_arg(EFF2D["kappa_x"]),
        kappa_y=matrix_arg(EFF2D["kappa_y"]),
        alignment=alignment_flag(P2D["alignment"]),
        paper_diagonal=list_arg(EFF2D["paper_diagonal"]),
        n_patches=P2D["n_patches"],
        lattice_n=P2D["lattice_n"],
        n_traj=P2D["n_traj"],
        terms=P2D["initial_conditions"]["terms"],
        amplitude=P2D["initial_conditions"]["amplitude"],
        max_k=P2D["initial_conditions"]["max_wavenumber"],
        dt=P2D["dt"],
        n_snapshots=P2D["n_snapshots"],
        tol=P2D["claims"]["tensor_rel_tol"],
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --effective {input.effective} --kappa-x {params.kappa_x:q} --kappa-y {params.kappa_y:q}"
        " --alignment {params.alignment:q} --paper-diagonal {params.paper_diagonal} --n-patches {params.n_patches}"
        " --lattice-n {params.lattice_n} --n-traj {params.n_traj} --ic-terms {params.terms}"
        " --ic-amplitude {params.amplitude} --ic-max-wavenumber {params.max_k} --dt {params.dt}"
        " --n-snapshots {params.n_snapshots} --tensor-tol {params.tol} --seed {params.seed} --scale {params.scale}"
        " --rule {params.rule} --patch-output {output.patch} --homog-output {output.homog} --claim {output.claim}"
        " > {log} 2>&1"


ALL_TARGETS += [f"results/figures/P2_fig{n}.png" for n in (6, 7, 8)]
CLAIM_FRAGMENTS += [f"results/claims/P2_fig{n}.json" for n in (6, 7, 8)]


rule p2_train2d:
    """Train one 2D architecture on the gap-tooth data (the published two, or a variant of the project's)."""
    input:
        **script_inputs("p2_train2d"),
        data="results/homogenization/patch2d.zarr",
    output:
        weights=directory("results/homogenization/models/p2_2d_{arch}.zarr"),
        history=directory("results/homogenization/models/p2_2d_{arch}_history.zarr"),
    log:
        "results/logs/p2_train2d_{arch}.log",
    benchmark:
        "results/benchmarks/p2_train2d_{arch}.tsv"
    wildcard_constraints:
        arch=ARCHS_2D_CONSTRAINT,
    conda:
        CONDA_ENV
    threads: threads_of("p2_train2d")
    resources:
        mem_mb=mem_of("p2_train2d"),
        runtime=runtime_of("p2_train2d"),
    params:
        rule="p2_train2d",
        wildcards=wildcard_flags,
        n_test=P2D["n_test"],
        epochs=P2D["learning"]["epochs"],
        batch=P2D["learning"]["batch_size"],
        lr=P2D["learning"]["lr"],
        val=P2D["learning"]["val_fraction"],
        hidden=P2D["learning"]["hidden"],
        hidden2=P2D["learning"]["hidden2"],
        kernel=P2D["learning"]["kernel"],
        seed=SEED,
        device=DEVICE,
    shell:
        "python {input.script} --data {input.data} --arch {wildcards.arch} --n-test {params.n_test}"
        " --epochs {params.epochs} --batch-size {params.batch} --lr {params.lr} --val-fraction {params.val}"
        " --hidden {params.hidden} --hidden2 {params.hidden2} --kernel {params.kernel} --seed {params.seed}"
        " --threads {threads} --device {params.device} --rule {params.rule} {params.wildcards}"
        " --weights {output.weights} --history {output.history} > {log} 2>&1"


rule p2_evaluate2d:
    """RHS prediction and BDF integration of every test trajectory, against both references."""
    input:
        **script_inputs("p2_evaluate2d"),
        data="results/homogenization/patch2d.zarr",
        reference="results/homogenization/homog2d.zarr",
        weights="results/homogenization/models/p2_2d_{arch}.zarr",
    output:
        directory("results/homogenization/p2_2d_{arch}_evaluation.zarr"),
    log:
        "results/logs/p2_evaluate2d_{arch}.log",
    benchmark:
        "results/benchmarks/p2_evaluate2d_{arch}.tsv"
    wildcard_constraints:
        arch=ARCHS_2D_CONSTRAINT,
    conda:
        CONDA_ENV
    threads: threads_of("p2_evaluate2d")
    resources:
        mem_mb=mem_of("p2_evaluate2d"),
        runtime=runtime_of("p2_evaluate2d"),
    params:
        rule="p2_evaluate2d",
        wildcards=wildcard_flags,
        n_test=P2D["n_test"],
        hidden=P2D["learning"]["hidden"],
        hidden2=P2D["learning"]["hidden2"],
        kernel=P2D["learning"]["kernel"],
        levels=list_arg(P2D["constant_levels"]),
    shell:
        "python {input.script} --data {input.data} --reference {input.reference} --weights {input.weights}"
        " --arch {wildcards.arch} --n-test {params.n_test} --hidden {params.hidden} --hidden2 {params.hidden2}"
        " --kernel {params.kernel} --constant-levels {params.levels} --rule {params.rule} {params.wildcards}"
        " --output {output} > {log} 2>&1"


rule p2_figure2d:
    """Figs. 6, 7, 8 of Arbabi et al. (2D), against both references, and their claim checks; Figs. 7 and 8
    draw the configured variants beside the published models."""
    input:
        **script_inputs("p2_figures2d"),
        reference="results/homogenization/homog2d.zarr",
        evaluation=expand("results/homogenization/p2_2d_{arch}_evaluation.zarr", arch=ARCHS),
        variants=p2_variant_evaluations,
    output:
        figure=report(
            "results/figures/P2_fig{n}.png",
            caption="../report/P2_fig2d.rst",
            category="P2 homogenization",
            subcategory="2D",
        ),
        claims="results/claims/P2_fig{n}.json",
    log:
        "results/logs/p2_figure2d_{n}.log",
    benchmark:
        "results/benchmarks/p2_figure2d_{n}.tsv"
    wildcard_constraints:
        n="6|7|8",
    conda:
        CONDA_ENV
    threads: threads_of("p2_figure2d")
    resources:
        mem_mb=mem_of("p2_figure2d"),
        runtime=runtime_of("p2_figure2d"),
    params:
        early_time=P2D["claims"]["early_time"],
        early_tol=P2D["claims"]["early_rel_err"],
        scale=SCALE,
    shell:
        "python {input.script} {wildcards.n} --reference {input.reference} --evaluation {input.evaluation}"
        " --variant-evaluation {input.variants} --early-time {params.early_time} --early-tol {params.early_tol} --scale {params.scale}"
        " --output {output.figure} --claim {output.claims} > {log} 2>&1"
