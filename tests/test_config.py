"""The config schema: every scale validates; a bad config stops Snakemake before any job,
with the offending key's path in the message."""

import copy

import pytest
import yaml
from conftest import ROOT, snakemake

from coarsepde.config import ConfigError, load_yaml, validate_config

SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
SCALES = ["ci", "config", "paper"]


@pytest.mark.parametrize("name", SCALES)
def test_every_scale_is_valid_and_names_itself(name):
    cfg = validate_config(load_yaml(ROOT / f"config/{name}.yaml"), SCHEMA)
    assert cfg["scale"] == {"config": "default"}.get(name, name)


def _base():
    return load_yaml(ROOT / "config/ci.yaml")


def _error(cfg) -> str:
    with pytest.raises(ConfigError) as info:
        validate_config(cfg, SCHEMA)
    return str(info.value)


def test_missing_key_is_named_by_its_path():
    cfg = _base()
    del cfg["homogenization"]["effective_coefficients"]["one_d"]["a_mean"]
    msg = _error(cfg)
    assert "homogenization.effective_coefficients.one_d.a_mean: required key is missing" in msg


def test_wrong_type_is_named_by_its_path():
    cfg = _base()
    cfg["homogenization"]["effective_coefficients"]["two_d"]["printed_decimals"] = "four"
    msg = _error(cfg)
    assert "homogenization.effective_coefficients.two_d.printed_decimals: 'four' is not of type 'integer'" in msg


def test_negative_size_is_named_by_its_path():
    cfg = _base()
    cfg["homogenization"]["effective_coefficients"]["one_d"]["resolutions"][1] = -16
    msg = _error(cfg)
    assert "homogenization.effective_coefficients.one_d.resolutions[1]: -16 is less than the minimum of 2" in msg


def test_unknown_key_and_bad_matrix_are_rejected():
    cfg = _base()
    cfg["homogenization"]["effective_coefficients"]["one_d"]["a_maen"] = 1.1
    assert "Additional properties are not allowed ('a_maen'" in _error(cfg)
    cfg = _base()
    cfg["homogenization"]["effective_coefficients"]["two_d"]["kappa_x"][2][1] = 0.0
    assert "two_d.kappa_x[2][1]: 0.0 is less than or equal to the minimum of 0" in _error(cfg)


def test_defaults_are_filled():
    cfg = _base()
    del cfg["resources"]["rules"]
    validate_config(cfg, SCHEMA)
    assert cfg["resources"]["rules"] == {}


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (
            lambda c: c["homogenization"]["effective_coefficients"]["one_d"].pop("resolutions"),
            "homogenization.effective_coefficients.one_d.resolutions: required key is missing",
        ),
        (
            lambda c: c["resources"]["default"].__setitem__("mem_mb", "lots"),
            "resources.default.mem_mb: 'lots' is not of type 'integer'",
        ),
        (
            lambda c: c["homogenization"]["effective_coefficients"]["two_d"]["bloch_lattice_n"].__setitem__(0, -240),
            "homogenization.effective_coefficients.two_d.bloch_lattice_n[0]: -240 is less than the minimum of 3",
        ),
    ],
    ids=["missing", "wrong-type", "negative"],
)
def test_snakemake_stops_before_any_job(workflow_copy, mutate, expected):
    cfg = copy.deepcopy(_base())
    mutate(cfg)
    bad = workflow_copy / "config" / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    proc = snakemake(workflow_copy, "--cores", "1", "--configfile", "config/bad.yaml")
    assert proc.returncode != 0
    assert expected in proc.stderr + proc.stdout
    assert not (workflow_copy / "results").exists()  # no job ran
