# Claims and the report: every implemented claim check -> results/claims.csv.


localrules:
    claims,


ALL_TARGETS += ["results/claims.csv"]


rule claims:
    """Gather the claim fragments of every implemented check (IDs of shared/CLAIMS.md)."""
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
    shell:
        "python {input.script} {input.fragments} --output {output} > {log} 2>&1"
