"""Adam on a flat parameter vector holding many models: torch.optim.Adam's update, each model its own learning rate.

The update is the arithmetic of ``torch.optim.Adam`` on the CPU (its single-tensor path, amsgrad off, no weight
decay), element by element and in the same order, so the entries of one model follow exactly the trajectory a
separate ``torch.optim.Adam`` would give that model's parameters for the same gradients:

    m <- lerp(m, g, 1 - beta1),  v <- beta2 v + (1 - beta2) g g,
    p <- p + (-lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps).

The defaults are TensorFlow's ``AdamOptimizer()`` (betas 0.9, 0.999, eps 1e-8: the authors' notebook; TF adds its
epsilon to sqrt(v) before the bias correction, which only differs where |grad| ~ 1e-8). All models' parameters live
in one vector, so a step is a dozen tensor operations whatever the number of models; ``owner`` maps each entry to its
model, whose learning rate it takes. Models stop at their own step budgets: the entries of a model that is not
``active`` keep their values and moments.
"""

from __future__ import annotations

import torch

__all__ = ["StackedAdam"]


class StackedAdam:
    """Adam over the flat leaf tensor ``flat``; ``lr`` (n_models,) per model, ``owner`` (flat.numel(),) the model of
    each entry; one ``betas``/``eps`` for all; entries outside ``trainable`` (bool, default all) never move."""

    def __init__(self, flat: torch.Tensor, owner: torch.Tensor, lr, betas=(0.9, 0.999), eps=1e-8, trainable=None):
        if owner.shape != flat.shape:
            raise ValueError("owner must give the model of every entry")
        self.flat, self.owner = flat, owner
        self.trainable = trainable
        self.lr = torch.as_tensor(lr, dtype=torch.float64).flatten()
        self.beta1, self.beta2 = (float(b) for b in betas)
        self.eps = float(eps)
        self.exp_avg = torch.zeros_like(flat)
        self.exp_avg_sq = torch.zeros_like(flat)
        self.t = 0

    @torch.no_grad()
    def step(self, active: torch.Tensor | None = None) -> None:
        """One update from ``flat.grad``; entries of models with ``active`` (n_models,) False are left as they are."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        bias1 = 1 - b1**self.t
        bias2_sqrt = (1 - b2**self.t) ** 0.5
        neg_step = (-(self.lr / bias1))[self.owner]
        p, m, v = self.flat, self.exp_avg, self.exp_avg_sq
        g = p.grad if p.grad is not None else torch.zeros_like(p)
        m_new = m.lerp(g, 1 - b1)
        v_new = v.mul(b2).addcmul_(g, g, value=1 - b2)
        denom = (v_new.sqrt() / bias2_sqrt).add_(self.eps)
        p_new = p + neg_step * m_new / denom
        if active is None and self.trainable is None:
            m.copy_(m_new)
            v.copy_(v_new)
            p.copy_(p_new)
        else:
            keep = torch.ones_like(self.owner, dtype=torch.bool) if active is None else active[self.owner]
            keep = keep if self.trainable is None else keep & self.trainable
            m.copy_(torch.where(keep, m_new, m))
            v.copy_(torch.where(keep, v_new, v))
            p.copy_(torch.where(keep, p_new, p))

    def zero_grad(self) -> None:
        self.flat.grad = None
