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


rule effective_coefficients:
    """Solve the 1D cell problem at every resolution and the 2D lattice cell problem per alignment."""
    input:
        script="workflow/scripts/effective_coefficients.py",
        code=code("homogenization/cell_problem", "homogenization/effective", "store", "cli"),
    output:
        directory("results/homogenization/effective_coefficients.zarr"),
    params:
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
        rule="effective_coefficients",
    log:
        "results/logs/effective_coefficients.log",
    benchmark:
        "results/benchmarks/effective_coefficients.tsv"
    threads: threads_of("effective_coefficients")
    resources:
        mem_mb=mem_of("effective_coefficients"),
        runtime=runtime_of("effective_coefficients"),
    conda:
        CONDA_ENV
    shell:
        "python {input.script} --a-mean {params.a_mean} --a-amplitude {params.a_amplitude}"
        " --resolutions {params.resolutions} --kappa-x {params.kappa_x:q} --kappa-y {params.kappa_y:q}"
        " {params.alignments} --printed-decimals {params.printed_decimals}"
        " --bloch-lattice-n {params.bloch_lattice_n} --bloch-modes {params.bloch_modes:q}"
        " --seed {params.seed} --scale {params.scale} --rule {params.rule} --output {output} > {log} 2>&1"


rule effective_coefficients_table:
    """Tables of a* and K (with notes) and the checks of claims P2-astar-1d / P2-astar-2d."""
    input:
        store="results/homogenization/effective_coefficients.zarr",
        script="workflow/scripts/effective_coefficients_table.py",
        code=code("homogenization/effective", "claims", "store"),
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
    params:
        paper_1d=EFF["one_d"]["paper_value"],
        paper_diagonal=list_arg(EFF["two_d"]["paper_diagonal"]),
        primary=EFF["two_d"]["primary_alignment"],
        rel_tol_exact=EFF["claims"]["astar_1d_rel_tol_exact"],
        rel_tol_paper=EFF["claims"]["astar_1d_rel_tol_paper"],
        abs_tol_2d=EFF["claims"]["astar_2d_abs_tol"],
        scale=SCALE,
    log:
        "results/logs/effective_coefficients_table.log",
    benchmark:
        "results/benchmarks/effective_coefficients_table.tsv"
    threads: 1
    resources:
        mem_mb=mem_of("effective_coefficients_table"),
        runtime=runtime_of("effective_coefficients_table"),
    conda:
        CONDA_ENV
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
        store="results/homogenization/effective_coefficients.zarr",
        script="workflow/scripts/effective_coefficients_figure.py",
        code=code("plotting", "store"),
    output:
        report(
            "results/figures/P2_effective_coefficients.png",
            caption="../report/P2_effective_coefficients_figure.rst",
            category="P2 homogenization",
            subcategory="effective coefficients",
        ),
    params:
        paper_1d=EFF["one_d"]["paper_value"],
        paper_diagonal=list_arg(EFF["two_d"]["paper_diagonal"]),
        primary=EFF["two_d"]["primary_alignment"],
    log:
        "results/logs/effective_coefficients_figure.log",
    benchmark:
        "results/benchmarks/effective_coefficients_figure.tsv"
    threads: 1
    resources:
        mem_mb=mem_of("effective_coefficients_figure"),
        runtime=runtime_of("effective_coefficients_figure"),
    conda:
        CONDA_ENV
    shell:
        "python {input.script} --store {input.store} --paper-1d {params.paper_1d}"
        " --paper-diagonal {params.paper_diagonal} --primary-alignment {params.primary}"
        " --output {output} > {log} 2>&1"
