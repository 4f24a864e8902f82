# coarsepde: rebuilds the tables and figures of three papers on learning coarse-scale PDEs.
#   snakemake --cores all                                  # default scale (config/config.yaml)
#   snakemake --cores 2 --configfile config/ci.yaml        # tiny scale, minutes
#   snakemake results/tables/P2_effective_coefficients.md --cores 1   # one artifact
# See README.md for the scales, the report and the cluster profile.
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

# The validator is light (jsonschema + yaml); import it from the source tree so that parsing the
# workflow does not depend on how (or whether) the package was installed.
SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)
# Jobs (local, conda or cluster) import the package from this checkout, whatever is installed.
shell.prefix(f"export PYTHONPATH={SRC}${{{{PYTHONPATH:+:$PYTHONPATH}}}}; ")
from coarsepde.config import ConfigError, validate_config  # noqa: E402

# Without --configfile the default scale is used. It is loaded only then: Snakemake would
# otherwise *merge* a --configfile onto it, and a key missing from ci.yaml would silently take
# its default-scale value instead of failing validation.
if not config:

    configfile: "config/config.yaml"


try:
    validate_config(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
except ConfigError as err:
    sys.exit(f"coarsepde: {err}")


include: "workflow/rules/common.smk"
include: "workflow/rules/homogenization.smk"
include: "workflow/rules/discretization.smk"
include: "workflow/rules/discretization_protocol.smk"
include: "workflow/rules/kinetic.smk"
include: "workflow/rules/x_claims.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/settings.smk"


rule all:
    default_target: True
    input:
        ALL_TARGETS,
