"""The scripts' shared command line: wildcards as typed NAME=VALUE flags (no JSON in shell lines) and
settings files read into the P3 protocol dataclasses."""

import json

import pytest

from coarsepde.cli import common_parser, read_settings
from coarsepde.kinetic.experiments import AdamProtocol, ConvergedProtocol, protocols_from_settings


def test_wildcards_arrive_as_one_dict_in_flag_order():
    args = common_parser("x").parse_args(["--wildcard", "pde=kdv", "--wildcard", "factor=16", "--rule", "r"])
    assert args.wildcards == {"pde": "kdv", "factor": "16"} and list(args.wildcards) == ["pde", "factor"]
    assert common_parser("x").parse_args([]).wildcards == {}
    # values may hold '=' (everything after the first one)
    assert common_parser("x").parse_args(["--wildcard", "k=a=b"]).wildcards == {"k": "a=b"}


@pytest.mark.parametrize(
    "bad", [["--wildcard", "novalue"], ["--wildcard", "1x=2"], ["--wildcard", "a=1", "--wildcard", "a=2"]]
)
def test_malformed_or_repeated_wildcards_are_errors(bad, capsys):
    with pytest.raises(SystemExit):
        common_parser("x").parse_args(bad)
    assert "wildcard" in capsys.readouterr().err


def test_protocols_from_a_settings_file(tmp_path):
    settings = {
        "adam": {
            "fe": {"steps": 200, "lr": 1, "batch_windows": 0, "history_every": 10},
            "ars222": {"steps": 30, "lr": 0.04, "batch_windows": 4, "history_every": 5},
        },
        "converged": {
            "fe": {"lsq_steps": 300, "gn_iterations": 0, "window_every": 1, "lbfgs_steps": 20, "from_init": True}
        },
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(settings))
    adam, converged = protocols_from_settings(read_settings(str(path)))
    assert adam["fe"] == AdamProtocol(steps=200, lr=1.0, batch_windows=None, history_every=10)
    assert isinstance(adam["fe"].lr, float)  # as the provenance records it
    assert adam["ars222"] == AdamProtocol(steps=30, lr=0.04, batch_windows=4, history_every=5)
    assert converged == {"fe": ConvergedProtocol(300, 0, 1, 20, from_init=True)}
    settings["adam"]["fe"]["momentum"] = 0.9
    with pytest.raises(TypeError, match="momentum"):
        protocols_from_settings(settings)


def test_unreadable_settings_file_names_it(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SystemExit, match="bad.json"):
        read_settings(str(bad))
