"""Learned P1 models on disk: weights as a Zarr group (never pickles), the architecture and the
equation in its provenance, so a model rebuilds from its store alone."""

from __future__ import annotations

import os

import zarr

from coarsepde.discretization.equations import equation_from_dict, equation_to_dict
from coarsepde.discretization.models import LearnedDiscretization
from coarsepde.store import StoreError, load_state_dict, save_state_dict

__all__ = ["save_model", "load_model"]


def save_model(
    model: LearnedDiscretization, path: str | os.PathLike, *, title: str, source: str, provenance: dict
) -> None:
    prov = dict(provenance)
    prov["params"] = dict(prov["params"]) | {
        "model_config": model.config,
        "equation": equation_to_dict(model.equation),
    }
    save_state_dict(model.state_dict(), path, title=title, source=source, provenance=prov)


def load_model(path: str | os.PathLike) -> LearnedDiscretization:
    """Rebuild the model saved by :func:`save_model` (weights loaded, eval mode)."""
    state = load_state_dict(path)  # checks the store first (StoreError naming the path)
    params = zarr.open_group(str(path), mode="r").attrs["provenance"]["params"]
    try:
        equation = equation_from_dict(params["equation"])  # no "name": a Burgers store
        model = LearnedDiscretization.from_config(params["model_config"], equation)
    except KeyError as exc:
        raise StoreError(f"{path}: not a P1 model store (missing {exc} in its provenance)") from exc
    model.load_state_dict(state)
    return model.eval()
