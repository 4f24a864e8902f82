"""The batched fitting engine of the DC-RNN (Delgadillo, Hu, Yang): many fits on one data set as one tensor program.

Public surface: the protocol objects (:class:`AdamSettings`, :class:`Penalties`, :class:`FitTask`,
:class:`EngineOptions`) and :func:`fit_batched` / :class:`BatchedFits`. Map:

* :mod:`.structure`: every word on the centred operators is a full field A^k g or a rank-one v^a (x) x-field;
  :class:`~.structure.Layout` holds the arrays a set of fits needs, computed from the data once;
* :mod:`.stack`: parameters of models of one architecture stacked along a leading model dimension, and their
  word coefficients in one batched pass;
* :mod:`.residuals`: the schemes' residuals (linear multistep; ARS(2,2,2) expanded) as weights over the arrays;
* :mod:`.kernel`: the fused data pass (loss and gradient of all models of a pool in one compiled loop);
* :mod:`.adam`: torch.optim.Adam's update on the flat vector of all models' parameters;
* :mod:`.batched`: the training loop.
"""

from coarsepde.kinetic.engine.batched import BatchedFits, fit_batched
from coarsepde.kinetic.engine.protocol import AdamSettings, EngineOptions, FitTask, Penalties

__all__ = ["AdamSettings", "Penalties", "FitTask", "EngineOptions", "BatchedFits", "fit_batched"]
