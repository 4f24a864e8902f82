# Claims and the report: every claim fragment -> results/claims.csv, with a row for every ID of the contract
# (an ID no rule measures at this scale gets a failed "not measured" row), and results/report.html.


localrules:
    claims,
    report_html,


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


# ------------------------------------------------------------------------------------------
# results/report.html: the claims table, then every figure and table of `rule all` with its caption, its
# claim rows and the path that built it. That path is read from the workflow itself: for each artifact in
# ALL_TARGETS the rule (and job) that makes it, the rule's script and the script's import closure. It needs
# the rules of every paper, so this block stays after their includes.
# ------------------------------------------------------------------------------------------


include: "report_artifacts.smk"


REPORT_ARTIFACTS = report_artifacts()
ALL_TARGETS += ["results/report.html"]


rule report_html:
    """results/report.html: one self-contained page (figures embedded) with the claims and every artifact."""
    input:
        **script_inputs("build_report"),
        claims="results/claims.csv",
        artifacts=[f for a in REPORT_ARTIFACTS for f in a["files"]],
        fragments=[f for a in REPORT_ARTIFACTS for f in a["fragments"]],
        captions=sorted({a["caption_file"] for a in REPORT_ARTIFACTS if a["caption_file"]}),
        settings=settings_path("report_html", {"scale": SCALE, "artifacts": REPORT_ARTIFACTS}),
    output:
        "results/report.html",
    log:
        "results/logs/report_html.log",
    benchmark:
        "results/benchmarks/report_html.tsv"
    conda:
        CONDA_ENV
    threads: threads_of("report_html")
    resources:
        mem_mb=mem_of("report_html"),
        runtime=runtime_of("report_html"),
    shell:
        "python {input.script} --claims {input.claims} --settings {input.settings} --output {output} > {log} 2>&1"
