# Claims and the report: every claim fragment -> results/claims.csv, with a row for every ID of the contract
# (an ID no rule measures at this scale gets a failed "not measured" row).


localrules:
    claims,


ALL_TARGETS += ["results/claims.csv"]


rule claims:
    """Gather the claim fragments into claims.csv: a row for every ID of shared/CLAIMS.md."""
    input:
        **script_inputs("gather_claims"),
        fragments=CLAIM_FRAGMENTS,
    output:
        report(
            "results/claims.csv",
            caption="../report/claims.rst",
            category="Claims",
        ),
    log:
        "results/logs/claims.log",
    benchmark:
        "results/benchmarks/claims.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("claims")
    resources:
        mem_mb=mem_of("claims"),
        runtime=runtime_of("claims"),
    params:
        scale=SCALE,
    shell:
        "python {input.script} {input.fragments} --scale {params.scale} --output {output} > {log} 2>&1"
