# P3: Delgadillo, Hu, Yang, DC-RNN for multiscale kinetic equations -- Tables 1-8, 11, 16 and Fig. 4.
# transport data (ARS(2,2,2), batched over eps) -> fits per table (Adam protocol + converged) -> tables,
# claims, Fig. 4.

p3_check()
for _t in P3_FIT_TABLES:
    settings_path(f"p3_fit_table{_t}", p3_fit_protocols(_t))
for _t in P3_EXAMPLE_CLAIMS:
    settings_path(f"p3_example_fit_table{_t}", p3_example_settings(_t))

P3_TABLE_FILES = [f"results/tables/P3_table{t}.{ext}" for t in P3_FIT_TABLES + [16] for ext in ("csv", "md")]
ALL_TARGETS += P3_TABLE_FILES + ["results/figures/P3_fig4.png"] + p3_case_stores()
CLAIM_FRAGMENTS += [f"results/claims/{c}.json" for c in P3_TABLE_CLAIMS] + [
    "results/claims/P3-table16-bdf.json",
    "results/claims/P3-fig4-loss.json",
]


localrules:
    p3_table,
    p3_table16,
    p3_claim,
    p3_figure4,


wildcard_constraints:
    table="|".join(str(t) for t in P3_FIT_TABLES),
    p3claim="|".join(P3_TABLE_CLAIMS),


rule p3_transport_data:
    """Linear transport (micro-macro, IMEX ARS(2,2,2)) for every eps, batched in one solve."""
    input:
        **script_inputs("p3_transport_data"),
    output:
        [directory(p) for p in p3_data(P3["data"]["inv_eps"])],
    log:
        "results/logs/p3_transport_data.log",
    benchmark:
        "results/benchmarks/p3_transport_data.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p3_transport_data")
    resources:
        mem_mb=mem_of("p3_transport_data"),
        runtime=runtime_of("p3_transport_data"),
    params:
        rule="p3_transport_data",
        inv_eps=list_arg(P3["data"]["inv_eps"]),
        d=P3["data"],
        scale=SCALE,
    shell:
        "python {input.script} --inv-eps {params.inv_eps} --nx {params.d[nx]} --stride {params.d[stride]}"
        " --n-snapshots {params.d[n_snapshots]} --sigma-s {params.d[sigma_s]} --sigma-a {params.d[sigma_a]}"
        " --source {params.d[source]} --ic {params.d[ic]} --scale {params.scale} --rule {params.rule}"
        " --output {output} > {log} 2>&1"


rule p3_transport_case:
    """Transport data of the other examples (Example 6.4: sigma_S(x) = 1 + 100 x^2; Example 6.10: sigma_S = 1/3),
    one eps per job, same solver and sampling as the Tables 1-8 data."""
    input:
        **script_inputs("p3_transport_data"),
    output:
        directory(p3_path("transport_{case}_eps{k}.zarr")),
    log:
        "results/logs/p3_transport_{case}_eps{k}.log",
    benchmark:
        "results/benchmarks/p3_transport_{case}_eps{k}.tsv"
    wildcard_constraints:
        case="|".join(P3["cases"]) if P3["cases"] else "NO_CASES",
        k=r"\d+",
    conda:
        CONDA_ENV
    threads: threads_of("p3_transport_case")
    resources:
        mem_mb=mem_of("p3_transport_data"),
        runtime=runtime_of("p3_transport_data"),
    params:
        rule="p3_transport_case",
        wildcards=wildcard_flags,
        d=P3["data"],
        c=lambda wildcards: P3["cases"][wildcards.case],
        scale=SCALE,
    shell:
        "python {input.script} --inv-eps {wildcards.k} --nx {params.d[nx]} --stride {params.c[stride]}"
        " --dt-factor {params.c[dt_factor]} --n-snapshots {params.d[n_snapshots]} --sigma-s {params.c[sigma_s]}"
        " --sigma-s-x2 {params.c[sigma_s_x2]}"
        " --sigma-a {params.d[sigma_a]} --source {params.d[source]} --ic {params.d[ic]} --scale {params.scale}"
        " --rule {params.rule} {params.wildcards}"
        " --output {output} > {log} 2>&1"


rule p3_table_adam:
    """The Adam protocol of every table fit (Tables 1-8, 11) at one eps, batched (coarsepde.kinetic.engine)."""
    input:
        **script_inputs("p3_table_adam"),
        data=p3_path("transport_eps{inv}.zarr"),
        protocols=settings_path("p3_table_adam", p3_table_adam_protocols()),
    output:
        directory(p3_path("fits/adam_eps{inv}.zarr")),
    log:
        "results/logs/p3_table_adam_eps{inv}.log",
    benchmark:
        "results/benchmarks/p3_table_adam_eps{inv}.tsv"
    wildcard_constraints:
        inv=r"\d+",
    priority: LONG_JOB_PRIORITY
    conda:
        CONDA_ENV
    threads: threads_of("p3_table_adam")
    resources:
        mem_mb=mem_of("p3_table_adam"),
        runtime=runtime_of("p3_table_adam"),
    params:
        rule="p3_table_adam",
        wildcards=wildcard_flags,
        tables=lambda wildcards: list_arg(p3_tables_at(wildcards.inv)),
        model=P3["model"],
        seed=SEED,
    shell:
        "python {input.script} --data {input.data} --tables {params.tables} --protocols {input.protocols}"
        " --eps-range {params.model[eps_range][0]} {params.model[eps_range][1]} --init {params.model[init]}"
        " --seed {params.seed} --threads {threads} --rule {params.rule} {params.wildcards} --output {output}"
        " > {log} 2>&1"


rule p3_fit:
    """All fits of one table (scheme(s), M, K of the paper) over its eps: converged, from the batched Adam fits."""
    input:
        unpack(p3_fit_inputs),
        **script_inputs("p3_fit"),
    output:
        directory(p3_path("fits/table{table}.zarr")),
    log:
        "results/logs/p3_fit_table{table}.log",
    benchmark:
        "results/benchmarks/p3_fit_table{table}.tsv"
    priority: LONG_JOB_PRIORITY
    conda:
        CONDA_ENV
    threads: threads_of("p3_fit")
    resources:
        mem_mb=mem_of("p3_fit"),
        runtime=runtime_of("p3_fit"),
    params:
        rule="p3_fit",
        wildcards=wildcard_flags,
        flags=p3_fit_flags,
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --table {wildcards.table} --data {input.data} {params.flags}"
        " --seed {params.seed} --scale {params.scale} --rule {params.rule} --threads {threads}"
        " {params.wildcards} --output {output} > {log} 2>&1"


rule p3_table:
    """Tables 1-8, 11: learned g-equations, Error% beside the paper's."""
    input:
        **script_inputs("p3_table"),
        fits=p3_path("fits/table{table}.zarr"),
    output:
        csv=report(
            "results/tables/P3_table{table}.csv", caption="../report/P3_tables.rst", category="P3 Delgadillo DC-RNN"
        ),
        md="results/tables/P3_table{table}.md",
    log:
        "results/logs/p3_table{table}.log",
    benchmark:
        "results/benchmarks/p3_table{table}.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p3_table")
    resources:
        mem_mb=mem_of("p3_table"),
        runtime=runtime_of("p3_table"),
    shell:
        "python {input.script} --fits {input.fits} --csv {output.csv} --md {output.md} > {log} 2>&1"


rule p3_table16:
    """Table 16: IMEX-BDF-q coefficients derived from the order conditions; claim P3-table16-bdf."""
    input:
        **script_inputs("p3_table16"),
    output:
        csv=report("results/tables/P3_table16.csv", caption="../report/P3_table16.rst", category="P3 Delgadillo DC-RNN"),
        md="results/tables/P3_table16.md",
        claim="results/claims/P3-table16-bdf.json",
    log:
        "results/logs/p3_table16.log",
    benchmark:
        "results/benchmarks/p3_table16.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p3_table16")
    resources:
        mem_mb=mem_of("p3_table16"),
        runtime=runtime_of("p3_table16"),
    params:
        scale=SCALE,
    shell:
        "python {input.script} --csv {output.csv} --md {output.md} --claim {output.claim}"
        " --scale {params.scale} > {log} 2>&1"


rule p3_claim:
    """The table claims (Tables 1-8, 11), each from the fit stores it compares: a "paper" row (Adam fits) and a
    "converged" row."""
    input:
        **script_inputs("p3_claims"),
        **P3_RECORD_INPUT,
        **P3_FLOOR_INPUT,
        fits=lambda wildcards: [p3_path(f"fits/table{t}.zarr") for t in P3_TABLE_CLAIMS[wildcards.p3claim]],
    output:
        "results/claims/{p3claim}.json",
    log:
        "results/logs/p3_claim_{p3claim}.log",
    benchmark:
        "results/benchmarks/p3_claim_{p3claim}.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p3_claim")
    resources:
        mem_mb=mem_of("p3_claim"),
        runtime=runtime_of("p3_claim"),
    params:
        flags=p3_claim_flags(),
        record=P3_RECORD_FLAG,
        floor=P3_FLOOR_FLAG,
        scale=SCALE,
    shell:
        "python {input.script} --claim-id {wildcards.p3claim} --fits {input.fits} {params.flags} {params.record}"
        " {params.floor}"
        " --scale {params.scale} --output {output} > {log} 2>&1"


rule p3_figure4:
    """Fig. 4: loss vs Adam iteration, multiscale vs non-multiscale (forward Euler); claim P3-fig4-loss (a "paper"
    and a "converged" row)."""
    input:
        **script_inputs("p3_figure4"),
        **P3_RECORD_INPUT,
        plain=p3_path("fits/table1.zarr"),
        multiscale=p3_path("fits/table3.zarr"),
    output:
        figure=report("results/figures/P3_fig4.png", caption="../report/P3_fig4.rst", category="P3 Delgadillo DC-RNN"),
        claim="results/claims/P3-fig4-loss.json",
    log:
        "results/logs/p3_figure4.log",
    benchmark:
        "results/benchmarks/p3_figure4.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("p3_figure4")
    resources:
        mem_mb=mem_of("p3_figure4"),
        runtime=runtime_of("p3_figure4"),
    params:
        inv_eps=P3["figure4_inv_eps"],
        fraction=P3["claims"]["fig4_fraction"],
        record=P3_RECORD_FLAG,
        scale=SCALE,
    shell:
        "python {input.script} --plain {input.plain} --multiscale {input.multiscale} --inv-eps {params.inv_eps}"
        " --fraction {params.fraction} --figure {output.figure} --claim {output.claim} --scale {params.scale}"
        " {params.record} > {log} 2>&1"


# -- Examples 6.3, 6.6-6.10: Tables 9, 10, 12-15 ------------------------------------------------------------
p3_examples_check()

ALL_TARGETS += [f"results/tables/P3_table{t}.{ext}" for t in P3_EXAMPLE_CLAIMS for ext in ("csv", "md")]
CLAIM_FRAGMENTS += [f"results/claims/{c}.json" for c in P3_EXAMPLE_CLAIMS.values()]


rule p3_example_fit:
    """Fits of one example table: 9, 10 (regularised DC-RNN), 12 (Lasso, STRidge), 13 (PINN), 14 (MS-HDL),
    15 (rho-equation in the diffusion limit)."""
    input:
        **script_inputs("p3_example_fit"),
        data=p3_example_data,
        settings=lambda wildcards: settings_path(
            f"p3_example_fit_table{wildcards.etable}", p3_example_settings(wildcards.etable)
        ),
    output:
        directory(p3_path("fits/table{etable}.zarr")),
    log:
        "results/logs/p3_example_fit_table{etable}.log",
    benchmark:
        "results/benchmarks/p3_example_fit_table{etable}.tsv"
    wildcard_constraints:
        etable="|".join(str(t) for t in P3_EXAMPLE_CLAIMS),
    priority: LONG_JOB_PRIORITY
    conda:
        CONDA_ENV
    threads: threads_of("p3_example_fit")
    resources:
        mem_mb=mem_of("p3_fit"),
        runtime=runtime_of("p3_fit"),
    params:
        rule="p3_example_fit",
        wildcards=wildcard_flags,
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --table {wildcards.etable} --data {input.data} --settings {input.settings}"
        " --seed {params.seed} --scale {params.scale} --rule {params.rule} --threads {threads}"
        " {params.wildcards} --output {output} > {log} 2>&1"


# one rule per table (the claim file is named by the claim id, which the table number alone does not give)
for _t, _cid in P3_EXAMPLE_CLAIMS.items():

    rule:
        name:
            f"p3_table{_t}"
        input:
            **p3_example_table_inputs(_t),
            **script_inputs("p3_example_table"),
            **(P3_RECORD_INPUT if _t in (9, 10) else {}),
            claim_settings=settings_path("p3_claims", P3["claims"]),
        output:
            csv=report(
                f"results/tables/P3_table{_t}.csv",
                caption="../report/P3_example_tables.rst",
                category="P3 Delgadillo DC-RNN",
            ),
            md=f"results/tables/P3_table{_t}.md",
            claim=f"results/claims/{_cid}.json",
        log:
            f"results/logs/p3_table{_t}.log",
        benchmark:
            f"results/benchmarks/p3_table{_t}.tsv"
        localrule: True
        conda:
            CONDA_ENV
        threads: threads_of("p3_table")
        resources:
            mem_mb=mem_of("p3_table"),
            runtime=runtime_of("p3_table"),
        params:
            table=_t,
            dcrnn=f"--dcrnn {P3_DCRNN_FITS}" if _t in (12, 14) else "",
            record=P3_RECORD_FLAG if _t in (9, 10) else "",
            scale=SCALE,
        shell:
            "python {input.script} --table {params.table} --fits {input.fits} {params.dcrnn} {params.record}"
            " --claim-settings {input.claim_settings} --csv {output.csv} --md {output.md}"
            " --claim {output.claim} --scale {params.scale} > {log} 2>&1"


# -- Example 6.4: sigma_S(x), Fig. 5 ------------------------------------------------------------------------
ALL_TARGETS += ["results/figures/P3_fig5.png", "results/tables/P3_eq6_6.md"]
CLAIM_FRAGMENTS += ["results/claims/P3-fig5-sigma.json"]


rule p3_sigma_fit:
    """Example 6.4: sigma_S(x) learned per grid point, without and with the continuity penalty, both protocols."""
    input:
        **script_inputs("p3_sigma_fit"),
        data=p3_path("transport_sigma_x_eps1.zarr"),
        settings=settings_path("p3_sigma_fit", P3X["sigma_x"]),
    output:
        directory(p3_path("fits/sigma_x.zarr")),
    log:
        "results/logs/p3_sigma_fit.log",
    benchmark:
        "results/benchmarks/p3_sigma_fit.tsv"
    priority: LONG_JOB_PRIORITY
    conda:
        CONDA_ENV
    threads: threads_of("p3_sigma_fit")
    resources:
        mem_mb=mem_of("p3_fit"),
        runtime=runtime_of("p3_fit"),
    params:
        rule="p3_sigma_fit",
        seed=SEED,
        scale=SCALE,
    shell:
        "python {input.script} --data {input.data} --settings {input.settings} --seed {params.seed}"
        " --scale {params.scale} --rule {params.rule} --threads {threads} --output {output} > {log} 2>&1"


rule p3_figure5:
    """Fig. 5: learned vs true sigma_S(x), without / with continuity; Eqs. (6.6)/(6.7); claim P3-fig5-sigma."""
    input:
        **script_inputs("p3_figure5"),
        fits=p3_path("fits/sigma_x.zarr"),
    output:
        figure=report("results/figures/P3_fig5.png", caption="../report/P3_fig5.rst", category="P3 Delgadillo DC-RNN"),
        md="results/tables/P3_eq6_6.md",
        claim="results/claims/P3-fig5-sigma.json",
    log:
        "results/logs/p3_figure5.log",
    benchmark:
        "results/benchmarks/p3_figure5.tsv"
    localrule: True
    conda:
        CONDA_ENV
    threads: threads_of("p3_figure5")
    resources:
        mem_mb=mem_of("p3_figure4"),
        runtime=runtime_of("p3_figure4"),
    params:
        scale=SCALE,
    shell:
        "python {input.script} --fits {input.fits} --figure {output.figure}"
        " --md {output.md} --claim {output.claim} --scale {params.scale} > {log} 2>&1"


# A probe, not a paper artifact (not in ALL_TARGETS): the notebook-protocol reconstruction of
# docs/reproductions/p3-protocol-reconstruction.md. Build it with `snakemake P3_PROBE_TARGETS`-style targets:
P3_PROBE_TARGETS = ["results/kinetic/p3_protocol_probe/initial_loss.csv"]


rule p3_protocol_probe:
    """Initial L1 loss per factor (data, network, residual, reduction) and Adam traces of the authors' IMEX-BDF-2
    notebook protocol at 1/eps = 256 (issue 21, item 4)."""
    input:
        **script_inputs("p3_protocol_probe"),
    output:
        csv="results/kinetic/p3_protocol_probe/initial_loss.csv",
        adam0="results/kinetic/p3_protocol_probe/adam_M0.csv",
        adam2="results/kinetic/p3_protocol_probe/adam_M2.csv",
    log:
        "results/logs/p3_protocol_probe.log",
    benchmark:
        "results/benchmarks/p3_protocol_probe.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        seconds=280,
    shell:
        "python {input.script} --out results/kinetic/p3_protocol_probe --factors --adam-M 0 2"
        " --adam-seconds {params.seconds} > {log} 2>&1"


# P3 under the authors' own protocol (issue 21; docs/reproductions/p3-paper-protocol.md): every Adam fit of
# Tables 1-11 at one eps, trained together by the batched engine for 80,000 steps (about an hour per eps on one
# core), checkpointed (a killed job resumes). Not in ALL_TARGETS. The whole record: `snakemake --cores 2 p3_protocol`;
# a part over some eps, e.g. results/kinetic/protocol/part_16-256/p3-paper-protocol.md.
rule p3_protocol:
    """The whole paper-protocol record of P3 (every eps of kinetic.protocol_run)."""
    input:
        P3_PROTOCOL_TARGETS,


rule p3_protocol_fit:
    """All Adam fits of Tables 1-11 at one eps under the authors' protocol (batched engine, checkpointed)."""
    input:
        **script_inputs("p3_protocol_fit"),
        data=p3_path("transport_eps{inv}.zarr"),
    output:
        directory(p3_path("protocol/fits_eps{inv}.zarr")),
    log:
        "results/logs/p3_protocol_fit_eps{inv}.log",
    benchmark:
        "results/benchmarks/p3_protocol_fit_eps{inv}.tsv"
    wildcard_constraints:
        inv=r"\d+",
    priority: LONG_JOB_PRIORITY
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=6000,
        runtime=360,
    params:
        rule="p3_protocol_fit",
        wildcards=wildcard_flags,
        pr=P3_PROTOCOL,
        tables=list_arg(P3["tables"]["inv_eps"]),
        t9=list_arg(P3["examples"]["table9_inv_eps"]),
        t10=list_arg(P3["examples"]["table10_inv_eps"]),
        t11=list_arg(P3["tables"]["table11_inv_eps"]),
        checkpoint=p3_path("protocol/checkpoints/eps{inv}.pt"),
    shell:
        "python {input.script} --data {input.data} --tables-inv-eps {params.tables} --table9-inv-eps {params.t9}"
        " --table10-inv-eps {params.t10} --table11-inv-eps {params.t11} --steps {params.pr[steps]}"
        " --lr {params.pr[lr]} --history-every {params.pr[history_every]} --gamma {params.pr[gamma]}"
        " --init {params.pr[init]} --weight-scale {params.pr[weight_scale]} --checkpoint {params.checkpoint}"
        " --checkpoint-every {params.pr[checkpoint_every]} --threads 1 --rule {params.rule} {params.wildcards}"
        " --output {output} > {log} 2>&1"


rule p3_protocol_record:
    """The paper-protocol record over the eps of {invs}: per table the paper's Error%, ours, the optimum; claims."""
    input:
        unpack(p3_protocol_part_inputs),
        **script_inputs("p3_protocol_record"),
    output:
        md=p3_path("protocol/part_{invs}/p3-paper-protocol.md"),
        claims=p3_path("protocol/part_{invs}/p3-paper-protocol-claims.json"),
        fits=p3_path("protocol/part_{invs}/p3-paper-protocol-fits.json"),
        figure=p3_path("protocol/part_{invs}/P3_paper_protocol.png"),
    log:
        "results/logs/p3_protocol_record_{invs}.log",
    wildcard_constraints:
        invs=r"\d+(-\d+)*",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        ex=P3["examples"],
        t11=list_arg(P3["tables"]["table11_inv_eps"]),
        tables=list_arg(P3["tables"]["inv_eps"]),
        t10=list_arg(P3["examples"]["table10_inv_eps"]),
        flags=p3_claim_flags(),
        fig4=P3_PROTOCOL["figure4_inv_eps"],
        fraction=P3["claims"]["fig4_fraction"],
        scale=SCALE,
    shell:
        "python {input.script} --fits {input.fits} --converged {input.converged} --tables-inv-eps {params.tables}"
        " --table9-inv-eps {params.ex[table9_inv_eps][0]} --table10-inv-eps {params.t10}"
        " --table11-inv-eps {params.t11} --figure4-inv-eps {params.fig4} --fig4-fraction {params.fraction}"
        " {params.flags} --command 'snakemake --cores 2 {output.md}' --scale {params.scale}"
        " --md {output.md} --claims {output.claims} --fits-table {output.fits} --figure {output.figure} > {log} 2>&1"
