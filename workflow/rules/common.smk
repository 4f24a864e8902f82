# Shared helpers: result paths, per-rule resources from the config's scale, argument formatting.

SCALE = config["scale"]
SEED = config["seed"]
CONDA_ENV = "../../envs/coarsepde.yaml"  # relative to this rules directory

# Every artifact a rule adds is appended here; `rule all` requests them.
ALL_TARGETS = []
# Claim fragments (JSON) gathered into results/claims.csv by rule `claims`.
CLAIM_FRAGMENTS = []


def rule_resources(name):
    """threads / mem_mb / runtime of a rule: config resources.default, overridden by resources.rules[name]."""
    res = dict(config["resources"]["default"])
    res.update(config["resources"].get("rules", {}).get(name, {}))
    return res


def threads_of(name):
    return rule_resources(name)["threads"]


def mem_of(name):
    return rule_resources(name)["mem_mb"]


def runtime_of(name):
    return rule_resources(name)["runtime"]


def matrix_arg(rows):
    """[[1, 2], [3, 4]] -> '1,2;3,4' (the scripts' matrix syntax; quote it in shell with :q)."""
    return ";".join(",".join(repr(float(v)) if isinstance(v, float) else str(v) for v in row) for row in rows)


def list_arg(values):
    return " ".join(str(v) for v in values)


def code(*modules):
    """Package modules a rule depends on, as input paths (a change to them reruns the rule)."""
    return [f"src/coarsepde/{m}.py" for m in modules]
