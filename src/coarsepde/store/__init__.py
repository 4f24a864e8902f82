"""The project's single I/O layer for intermediate results.

Every intermediate product of the pipeline (simulated solutions, coarse-grained
data sets, trained model weights) goes through this package, so that all files
on disk share one format and one set of guarantees:

* **Format.**  xarray Datasets are written as Zarr *format 3* stores with named
  dimensions (``dimension_names``), codecs named in the metadata (Zstandard,
  level 3, then a CRC-32C checksum), chunks of about 1 MB or more along the
  leading dimension, no sharding and no consolidated metadata.  Torch model
  weights are written as a Zarr format-3 group with one array per tensor --
  never pickled, so loading a file can never execute code (:mod:`.weights`).
* **Self-description.**  The root group carries ``title``, ``source`` (the
  Snakemake rule and wildcards that made it), ``references`` (paper and
  equation numbers) and ``provenance`` (parameters, seed, package versions,
  code version; :mod:`.metadata`).  Physical ``units`` live in the attrs
  of each variable/coordinate and are kept through the round trip.
* **Reproducibility.**  Nothing time- or host-dependent is written, so writing
  the same data twice gives byte-identical files; a re-run of the workflow can
  be checked with ``diff -r``.
* **Atomicity.**  A store is built in a temporary sibling directory and renamed
  into place, so a crashed or killed job never leaves a half-written store
  where the workflow would take it for a finished one (:mod:`.layout`).
* **Loud failure.**  Reading a missing, empty or damaged store raises
  :class:`StoreError` naming the path (and the array whose chunk fails its
  checksum), instead of silently returning fill values (Zarr's default for a
  missing chunk) or altered numbers.
"""

from coarsepde.store.datasets import read_dataset, write_dataset
from coarsepde.store.layout import StoreError, array_codecs, atomic_write
from coarsepde.store.metadata import code_version, package_versions, provenance
from coarsepde.store.weights import load_state_dict, load_weight_attrs, save_state_dict

__all__ = [
    "StoreError",
    "package_versions",
    "code_version",
    "provenance",
    "write_dataset",
    "read_dataset",
    "save_state_dict",
    "load_state_dict",
    "load_weight_attrs",
    "array_codecs",
    "atomic_write",
]
