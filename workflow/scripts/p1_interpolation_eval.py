#!/usr/bin/env python
"""P1 Fig. 1: evaluate a trained interpolation network (p1_interpolation.py) and the polynomial baselines on the
held-out snapshots of its data (Bar-Sinai et al. 2019, Fig. 1 A-C; claim P1-fig1-interp).

The network and the training/validation split are rebuilt from the model store's provenance (factor, stencil,
layers, the 80/20 split and --max-snapshots), so the evaluation can change without retraining; the data must be
the store the model was trained on (its snapshot counts are checked). Predictions and metrics in float64."""

import numpy as np
import torch
import xarray as xr

from coarsepde.cli import common_parser, setup_logging
from coarsepde.discretization.interpolation import (
    InterpolationModel,
    assemble_fine,
    polynomial_interpolation,
    predict_between,
    split_fine,
    split_snapshots,
)
from coarsepde.discretization.interpolation_metrics import SHOCK_HALO, interpolation_metrics
from coarsepde.discretization.training import resolve_device
from coarsepde.store import load_state_dict, load_weight_attrs, provenance, read_dataset, write_dataset

REFERENCES = "Bar-Sinai et al. 2019, Fig. 1 and SI (super-resolution notebook)"
#: extra references evaluated beside the claim's two ("nn" and "poly" = the cubic)
EXTRA_BASELINES = {"poly6": 6, "linear": 2}
#: the model's settings the evaluation rebuilds it from (p1_interpolation.py's provenance params)
MODEL_KEYS = ("factor", "stencil_width", "accuracy_order", "layers", "filters", "kernel", "input_scale")


def load_model(path) -> tuple[InterpolationModel, dict, dict]:
    """The float64 network of a p1_interpolation.py store, its provenance params and its training curve."""
    attrs = load_weight_attrs(path)
    prm = attrs["provenance"]["params"]
    missing = [
        k
        for k in (*MODEL_KEYS, "train_fraction", "max_snapshots", "n_train", "n_val", "n_fine", "steps")
        if k not in prm
    ]
    if missing:
        raise SystemExit(f"{path}: not a p1_interpolation.py model (provenance lacks {missing})")
    state = load_state_dict(path)
    history = {k.removeprefix("history."): state.pop(k).numpy() for k in list(state) if k.startswith("history.")}
    model = InterpolationModel(**{k: prm[k] for k in MODEL_KEYS}).double()
    model.load_state_dict(state)
    return model, prm, history


def main(argv=None):
    p = common_parser(__doc__)
    p.add_argument("--model", required=True, help="weights of p1_interpolation.py (Zarr)")
    p.add_argument("--data", required=True, help="the Burgers store the model was trained on")
    p.add_argument("--baseline-points", type=int, default=4, help="points of the polynomial baseline (4: cubic)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="auto", help='torch device for prediction ("auto": CUDA when available)')
    p.add_argument("--evaluation", required=True, help="output: evaluation store (Zarr)")
    args = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(args.threads)
    args.device = resolve_device(args.device)

    model, prm, history = load_model(args.model)
    factor = int(prm["factor"])
    ds = read_dataset(args.data)
    v = ds.v.transpose("sample", "time", "x").values
    n_fine = v.shape[-1]
    fields = v.reshape(-1, n_fine)
    i_train, i_val = split_snapshots(fields.shape[0], prm["train_fraction"], prm["max_snapshots"])
    got = {"n_fine": n_fine, "n_train": len(i_train), "n_val": len(i_val)}
    trained = {k: int(prm[k]) for k in got}
    if trained != got:
        p.error(f"--data {args.data} gives {got}; the model was trained on {trained}")
    x = ds.x.values
    length = float(x[1] - x[0]) * n_fine
    val = fields[i_val]
    known_train, between_train = split_fine(fields[i_train], factor)
    linear_mse = float(((polynomial_interpolation(known_train, factor, 2) - between_train) ** 2).mean())
    log.info("%d validation snapshots of %d fine points, known every %d", len(i_val), n_fine, factor)

    # evaluation on the validation snapshots
    known, _ = split_fine(val, factor)
    predicted = {
        "nn": predict_between(model, val, device=args.device),
        "poly": assemble_fine(known, polynomial_interpolation(known, factor, args.baseline_points)).numpy(),
    }
    for name, n_points in EXTRA_BASELINES.items():
        predicted[name] = assemble_fine(known, polynomial_interpolation(known, factor, n_points)).numpy()
    met = interpolation_metrics(val, predicted, factor, length=length)
    log.info(
        "median |error|: NN %.3e, cubic %.3e (ratio %.2f), 6-point %.3e, linear %.3e; top-decile ratio %.2f "
        "vs %.2f over all intervals",
        met["median_abs_error_nn"],
        met["median_abs_error_poly"],
        met["ratio"],
        met["median_abs_error_poly6"],
        met["median_abs_error_linear"],
        met["ratio_top"],
        met["ratio_all_intervals"],
    )

    k_known = np.arange(n_fine // factor) * factor + factor - 1
    edges = met["hist_edges"]
    centres = 0.5 * (edges[1:] + edges[:-1])
    data = {
        "example_exact": (("x",), val[0], {"units": "1", "long_name": "first validation snapshot"}),
        "example_known": (("x_known",), val[0, k_known], {"units": "1", "long_name": "known point values"}),
        "hist_edges": (("hist_edge",), edges, {"units": "1"}),
        "curvature": (
            ("snapshot", "interval"),
            met["curvature"],
            {"units": "1/length^2", "long_name": "max |v_xx| over the interval (second differences)"},
        ),
        "bin_count": (("curvature_bin",), met["bin_count"], {"units": "1"}),
        "training_step": (("eval",), history["step"], {"units": "1"}),
        "training_loss": (("eval",), history["loss"], {"units": "1", "long_name": "MSE / MSE of linear interpolation"}),
        "training_val_loss": (("eval",), history["val_loss"], {"units": "1"}),
    }
    for name in predicted:
        data[f"example_{name}"] = (("x",), predicted[name][0], {"units": "1"})
        data[f"error_{name}"] = (
            ("snapshot", "interval"),
            met[f"error_{name}"],
            {"units": "1", "long_name": f"{name}: mean |error| over the interval"},
        )
        data[f"hist_{name}"] = (
            ("hist_exact", "hist_predicted"),
            met[f"{name}_hist"],
            {"units": "1", "long_name": f"{name}: counts of (exact, predicted)"},
        )
        for stat in ("median", "q05", "q95"):
            data[f"{name}_{stat}"] = (("curvature_bin",), met[f"{name}_{stat}"], {"units": "1"})
    for name in ("nn", "poly"):  # the per-point statistics of claim P1-fig1-interp (fig1_statistics)
        data[f"abs_error_{name}"] = (
            ("snapshot", "interval", "offset"),
            met[f"abs_error_{name}"],
            {"units": "1", "long_name": f"{name}: |error| of each interpolated point"},
        )
        data[f"overshoot_{name}"] = (
            ("snapshot", "interval"),
            met[f"overshoot_{name}"],
            {
                "units": "1",
                "long_name": f"{name}: overshoot beyond the exact range over the interval's vicinity (it and "
                f"{SHOCK_HALO} interval(s) either side) / that range",
            },
        )
    coords = {
        "x": ("x", x, {"units": "length"}),
        "x_known": ("x_known", x[k_known], {"units": "length"}),
        "hist_exact": ("hist_exact", centres, {"units": "1"}),
        "hist_predicted": ("hist_predicted", centres, {"units": "1"}),
        "curvature_bin": ("curvature_bin", met["bin_centre"], {"units": "1/length^2", "long_name": "10^(0.1 k)"}),
        "snapshot": ("snapshot", i_val, {"long_name": "flat (sample, time) index"}),
        "interval": ("interval", np.arange(k_known.size), {"long_name": "between known j and j+1"}),
        "offset": ("offset", np.arange(1, factor), {"long_name": "fine points past known j"}),
    }
    prov = provenance(
        {"data": args.data, "model": args.model, "baseline_points": args.baseline_points, "model_params": prm},
        rule=args.rule,
        wildcards=args.wildcards,
    )
    scalars = {k: met[k] for k in met if np.ndim(met[k]) == 0}
    attrs = scalars | {
        "factor": factor,
        "n_train": len(i_train),
        "n_val": len(i_val),
        "length": length,
        "baseline_points": args.baseline_points,
        "shock_halo": SHOCK_HALO,
        "linear_mse_train": linear_mse,
        "final_val_loss": float(history["val_loss"][-1]),
        "training_steps": int(prm["steps"]),
        "names": "nn: network; poly: cubic (4 points); poly6: 6-point polynomial (the network's "
        "stencil at zero output); linear: 2 points",
    }
    write_dataset(
        xr.Dataset(data, coords=coords, attrs=attrs),
        args.evaluation,
        title="P1 Fig. 1 interpolation: evaluation on the validation snapshots",
        source=f"rule {args.rule} {args.wildcards}",
        references=REFERENCES,
        provenance=prov,
    )
    log.info("wrote %s", args.evaluation)


if __name__ == "__main__":
    main()
