"""Parameters of several DC-RNN models of one architecture, stacked along a leading model dimension.

Delgadillo, Hu, Yang, "Multiscale and nonlocal learning for PDEs using densely connected RNNs" (Eqs. 3.5-3.9, 5.2).
:class:`ModelStack` holds the block weights of B :class:`~coarsepde.kinetic.dcrnn.MultiscaleDCRNN` g-equation models
as tensors (B, M + 1, ...) (one per field, layer and kind; M the largest order of the stack, a model of a lower
order M_b has zero blocks above it, which it never trains: they add exact zeros), w_eps and w_S as (B,), and
computes in one batched
pass what :class:`~coarsepde.kinetic.features.CoefficientMap` computes per model: the explicit word coefficients
c (B, W) = sum_m eps_pred^{-m} c^(m) (the blocks' recursions run on coordinate vectors in the space of simplified
words, all models and orders as one batch), the relaxation sigma_hat = w_S / eps_pred^M (B,) and eps_pred (B,).
Weights are dimensionless; coefficients in [t]^-1 [x]^(#A).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from coarsepde.kinetic.blocks import DCRNNBlock
from coarsepde.kinetic.features import CoefficientMap, has_spatial_weights

__all__ = ["architecture", "ModelStack"]

DTYPE = torch.float64


def architecture(model) -> tuple:
    """What must agree for models to share a stack: block kind, K, dictionaries, bias (M and eps ranges may differ)."""
    blk = (model.blocks_g or model.blocks_rho)[0]
    bias = isinstance(blk, DCRNNBlock) and blk.bias is not None
    return (model.block_kind, model.K, model.dictionary_g, model.dictionary_rho, bias)


def _bvm(w: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """sum_l w[b, l] f[b, l, :] (B, D): the batched product einsum("bl,bld->bd") is, in fewer operations."""
    return torch.bmm(w.unsqueeze(1), f).squeeze(1)


def _check(model) -> None:
    if model.equation != "g":
        raise ValueError("the batched engine fits g-equation models")
    if has_spatial_weights(model) or model.w_s is None or model.w_s.dim() != 0:
        raise ValueError("the batched engine needs x-independent block weights and a learned scalar w_S")


class ModelStack:
    """B models of one :func:`architecture`: their parameters as one flat vector (``initial``; :meth:`views` maps a
    flat vector to the stacked tensors, name -> (B, ...)) and the batched coefficient map (module docstring).

    ``words`` lists the terms of c (g words, then rho words: the order of :class:`CoefficientMap`).
    """

    def __init__(self, models: Sequence, odd_moments_vanish: bool = True):
        models = list(models)
        if not models:
            raise ValueError("no models")
        for m in models:
            _check(m)
            if architecture(m) != architecture(models[0]):
                raise ValueError("the models of a stack must share one architecture")
        self.models, self.B = models, len(models)
        self.Ms = [m.M for m in models]
        self.M = max(self.Ms)
        cmap = CoefficientMap(models[0], odd_moments_vanish)
        self.words = list(cmap.words)
        self.fields = [
            {k: f[k] for k in ("field", "kind", "S", "K", "bias")} | {"D": len(f["basis"])} for f in cmap.fields
        ]
        lo = [0.0 if m.eps_range is None else m.eps_range[0] for m in models]
        hi = [1.0 if m.eps_range is None else m.eps_range[1] for m in models]
        self.eps_lo, self.eps_hi = torch.tensor(lo, dtype=DTYPE), torch.tensor(hi, dtype=DTYPE)
        stacked = {name: torch.stack([get(m).detach() for m in models]) for name, get in self._layout()}
        self.shapes = {name: tuple(t.shape) for name, t in stacked.items()}
        self.initial = torch.cat([t.reshape(-1) for t in stacked.values()])
        self.numel = self.initial.numel()
        # the entries a model trains: all but the blocks above its own order
        Ms, parts = torch.tensor(self.Ms), []
        for name, shape in self.shapes.items():
            if name.startswith("blocks"):
                keep = torch.arange(shape[1])[None, :] <= Ms[:, None]  # (B, M + 1)
                parts.append(keep.reshape(*shape[:2], *[1] * (len(shape) - 2)).expand(shape).reshape(-1))
            else:
                parts.append(torch.ones(math.prod(shape), dtype=torch.bool))
        self.trainable = torch.cat(parts)

    # -- layout of the stacked tensors ----------------------------------------------------------
    def _layout(self):
        """(name, model -> tensor) for every stacked tensor; block tensors stack the orders m along dim 0."""
        out = []
        for f in self.fields:
            blocks = "blocks_g" if f["field"] == "g" else "blocks_rho"

            def orders(m, blocks=blocks, attr=None, k=None):
                ts = [getattr(b, attr)[k] if k is not None else getattr(b, attr) for b in getattr(m, blocks)]
                return torch.stack(ts + [torch.zeros_like(ts[0])] * (self.M + 1 - len(ts)))

            for k in range(f["K"]):
                out.append((f"{blocks}.hidden.{k}", lambda m, o=orders, k=k: o(m, attr="hidden", k=k)))
                if f["bias"]:
                    out.append((f"{blocks}.bias.{k}", lambda m, o=orders, k=k: o(m, attr="bias", k=k)))
            out.append((f"{blocks}.output", lambda m, o=orders: o(m, attr="output")))
        out.append(("w_eps", lambda m: m.w_eps))
        out.append(("w_s", lambda m: m.w_s))
        return out

    def views(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """The stacked tensors (name -> (B, ...)) as views of a flat vector laid out as ``initial``."""
        out, i = {}, 0
        for name, shape in self.shapes.items():
            n = math.prod(shape)
            out[name] = flat[i : i + n].view(shape)
            i += n
        return out

    def rows(self) -> torch.Tensor:
        """(numel,) long: the model (row) each entry of the flat vector belongs to."""
        return torch.cat([torch.arange(self.B).repeat_interleave(math.prod(s[1:])) for s in self.shapes.values()])

    @staticmethod
    def regularizable(params: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """The stacked tensors of the sparsity penalty: all but w_eps (Eq. 4.17)."""
        return [p for n, p in params.items() if n != "w_eps"]

    def write_back(self, flat: torch.Tensor) -> None:
        """Copy the values of the flat vector into the models' parameters (in place)."""
        params = self.views(flat.detach())
        with torch.no_grad():
            for b, m in enumerate(self.models):
                for f in self.fields:
                    blocks = getattr(m, "blocks_g" if f["field"] == "g" else "blocks_rho")
                    name = "blocks_g" if f["field"] == "g" else "blocks_rho"
                    for o, blk in enumerate(blocks):
                        for k in range(f["K"]):
                            blk.hidden[k].copy_(params[f"{name}.hidden.{k}"][b, o])
                            if f["bias"]:
                                blk.bias[k].copy_(params[f"{name}.bias.{k}"][b, o])
                        blk.output.copy_(params[f"{name}.output"][b, o])
                m.w_eps.copy_(params["w_eps"][b])
                m.w_s.copy_(params["w_s"][b])

    # -- the batched coefficient map --------------------------------------------------------------
    def eps_pred(self, params) -> torch.Tensor:
        """(B,): (tanh w + 1)/2 (eps_max - eps_min) + eps_min (Eq. 5.2; (0, 1) for Eq. 5.1)."""
        s = torch.tanh(params["w_eps"]) + 1.0
        return 0.5 * s * (self.eps_hi - self.eps_lo) + self.eps_lo

    def relaxation(self, params, eps: torch.Tensor) -> torch.Tensor:
        """(B,): sigma_hat = w_S / eps_pred^M_b (w_S for M_b = 0), each model its own M_b."""
        w = params["w_s"]
        out = None
        for M in sorted(set(self.Ms)):
            rel = w / eps**M if M else w
            out = rel if out is None else torch.where(torch.tensor(self.Ms) == M, rel, out)
        return out

    @staticmethod
    def _paper(y, depth, ST, H, Bs):
        feats = [y @ s for s in ST]
        for k in range(depth):
            W = H[k]  # (B', 2, n + k)
            F = torch.stack(feats, 1)
            z = _bvm(W[:, 1], F)
            if Bs is not None:
                z = z + Bs[k][:, 1, None] * y
            fz = torch.stack(ModelStack._paper(z, k, ST, H, Bs), 1)
            nb = _bvm(W[:, 0], fz)
            if Bs is not None:
                nb = nb + Bs[k][:, 0, None] * z
            feats.append(nb)
        return feats

    def _field(self, params, f) -> torch.Tensor:
        """Per-order coefficients (B, M + 1, D) of one field's blocks."""
        name = "blocks_g" if f["field"] == "g" else "blocks_rho"
        B1, K, ST = self.B * (self.M + 1), f["K"], f["S"]

        def flat(t):
            return t.reshape(B1, *t.shape[2:])

        e0 = torch.zeros(B1, f["D"], dtype=DTYPE)
        e0[:, 0] = 1.0
        out = flat(params[f"{name}.output"])
        if f["kind"] == "paper":
            H = [flat(params[f"{name}.hidden.{k}"]) for k in range(K)]
            Bs = [flat(params[f"{name}.bias.{k}"]) for k in range(K)] if f["bias"] else None
            feats = torch.stack(self._paper(e0, K, ST, H, Bs), 1)
            res = _bvm(out, feats)
        else:
            feats = [torch.stack([e0 @ s for s in ST], 1)]
            for k in range(K):
                Wk = flat(params[f"{name}.hidden.{k}"])
                h = sum(_bvm(Wk[:, i], feats[i]) for i in range(k + 1))
                feats.append(torch.stack([h @ s for s in ST], 1))
            res = sum(_bvm(out[:, i], feats[i]) for i in range(K + 1))
        return res.reshape(self.B, self.M + 1, -1)

    def coefficients(self, params=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(c (B, W), sigma_hat (B,), eps_pred (B,)) of the stacked tensors ``params`` (default: the models' values),
        differentiable."""
        params = self.views(self.initial) if params is None else params
        eps = self.eps_pred(params)
        scale = torch.stack([torch.ones_like(eps) if m == 0 else eps ** (-m) for m in range(self.M + 1)], 1)
        c = torch.cat([_bvm(scale, self._field(params, f)) for f in self.fields], 1)
        return c, self.relaxation(params, eps), eps
