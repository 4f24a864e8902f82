# Two commands do all set-up on a fresh machine:
#   make run    create .venv if missing, install coarsepde, run the whole pipeline (default scale)
#   make test   same bootstrap, then the test suite
# Options: CORES=N, CONFIG=config/ci.yaml, TARGET=results/figures/X.png

VENV    ?= .venv
PYTHON  ?= python3
CORES   ?= all
CONFIG  ?=
TARGET  ?=
STAMP   := $(VENV)/.installed
BIN     := $(CURDIR)/$(VENV)/bin
SNAKE   := PATH="$(BIN):$$PATH" $(BIN)/snakemake

.PHONY: run test report dry lint clean install

install: $(STAMP)

# torch is pinned (pyproject) to 2.13.0: pip takes the CPU wheel this machine carries on disk.
$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q -e '.[test]'
	@touch $(STAMP)

run: $(STAMP) unlock-stale
	$(SNAKE) $(TARGET) --cores $(CORES) $(if $(CONFIG),--configfile $(CONFIG))

# A killed run leaves Snakemake's lock in .snakemake/locks and the next run would refuse to start.
# The lock is stale when no snakemake runs in this directory: then it is removed (coarsepde.runlock).
.PHONY: unlock-stale
unlock-stale: $(STAMP)
	@$(BIN)/python -m coarsepde.runlock . --snakemake $(BIN)/snakemake $(if $(CONFIG),--configfile $(CONFIG))

test: $(STAMP)
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest

report: $(STAMP)
	$(SNAKE) --cores 1 $(if $(CONFIG),--configfile $(CONFIG)) --report results/snakemake_report.html

dry: $(STAMP)
	$(SNAKE) $(TARGET) -n $(if $(CONFIG),--configfile $(CONFIG))

# ruff (lint and format check, config in pyproject.toml), snakefmt, and Snakemake's own linter
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(SNAKE) --lint --configfile config/ci.yaml

clean:
	rm -rf results .snakemake

# P1 at the authors' own protocol (about 23 core-hours) across machines: docs/reproductions/p1-paper-protocol.md.
# p1-protocol-pack writes the run's trainings (finished models and histories, checkpoints of those in progress,
# Fig. 1's model, their logs and benchmark files) into a committed archive with fingerprints of the data they used;
# p1-protocol-resume, on a fresh checkout, rebuilds the data, restores the archive onto them (refused unless they
# match bit for bit; coarsepde.carry, preset p1_protocol) and runs TARGET (default p1_protocol): the rest resumes
# from the checkpoints.

.PHONY: p1-protocol-pack p1-protocol-resume
p1-protocol-pack: $(STAMP)
	$(BIN)/python -m coarsepde.carry pack --preset p1_protocol --note "$(NOTE)"

p1-protocol-resume: $(STAMP) unlock-stale
	$(SNAKE) --cores $(CORES) $$($(BIN)/python -m coarsepde.carry data --preset p1_protocol)
	$(BIN)/python -m coarsepde.carry unpack --preset p1_protocol
	$(SNAKE) $(or $(TARGET),p1_protocol) --cores $(CORES) --keep-going

# Benchmark suite (benchmarks/run.py): results/benchmarks/benchmarks.{csv,png}, < 10 minutes on 2 cores.
# BENCH_ARGS="--quick" or "--sections fine p2" for a part of it.
.PHONY: bench
bench: $(STAMP)
	PATH="$(BIN):$$PATH" $(BIN)/python benchmarks/run.py $(BENCH_ARGS)
