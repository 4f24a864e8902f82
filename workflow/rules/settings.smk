# Structured settings files (settings_path in common.smk): a config excerpt a script reads, never JSON in a
# shell line.
rule settings_file:
    """A job's structured settings (registered with settings_path) as a JSON file for its script."""
    output:
        "results/settings/{name}.json",
    log:
        "results/logs/settings_{name}.log",
    wildcard_constraints:
        name=r"[A-Za-z0-9_]+",
    localrule: True
    params:
        values=lambda wildcards: SETTINGS[wildcards.name],
    run:
        write_settings(output[0], params.values)
