"""coarsepde.carry: a long run's finished stores move to another checkout only onto the same data."""

import os
import time

import numpy as np
import pytest
import xarray as xr

from coarsepde.carry import CarryError, main, pack, read_manifest, store_fingerprint, unpack
from coarsepde.store import read_dataset, write_dataset


def _store(path, values, title="t"):
    ds = xr.Dataset({"v": (("run", "x"), np.asarray(values, dtype=float))})
    write_dataset(ds, path, title=title, source="test", references="-", provenance={"when": time.time()})


def _run(base, data_values):
    """A miniature run: data, a finished model store, a checkpoint of one in progress, a benchmark file."""
    _store(base / "protocol/train.zarr", data_values)
    _store(base / "protocol/seed0/models/nn_2x.zarr", [[1.0, 2.0]])
    _store(base / "protocol/seed0/models/nn_4x.checkpoint.zarr", [[3.0]])
    (base / "benchmarks").mkdir(parents=True)
    (base / "benchmarks/p1_protocol_train_seed0.tsv").write_text("s\n12.5\n")
    (base / "benchmarks/other.tsv").write_text("s\n1\n")


INCLUDE = ["protocol/seed*/models/*", "benchmarks/p1_protocol_*.tsv"]


def test_fingerprint_ignores_metadata_not_chunks(tmp_path):
    _store(tmp_path / "a.zarr", [[1.0, 2.0]], title="one")
    _store(tmp_path / "b.zarr", [[1.0, 2.0]], title="two")  # other attrs (title, provenance time)
    _store(tmp_path / "c.zarr", [[1.0, 2.5]])
    fa, fb, fc = (store_fingerprint(tmp_path / n) for n in ("a.zarr", "b.zarr", "c.zarr"))
    assert fa == fb
    assert fa != fc


def test_roundtrip_restores_only_onto_the_same_data(tmp_path):
    data = np.arange(12.0).reshape(3, 4)
    src = tmp_path / "src"
    _run(src, data)
    archive = tmp_path / "carry.tar.gz"
    m = pack(src, INCLUDE, ["protocol/train.zarr", "protocol/absent.zarr"], archive, note="part 1")
    assert m["data_absent"] == ["protocol/absent.zarr"]
    assert m["paths"] == [
        "benchmarks/p1_protocol_train_seed0.tsv",
        "protocol/seed0/models/nn_2x.zarr",
        "protocol/seed0/models/nn_4x.checkpoint.zarr",
    ]
    assert read_manifest(archive)["data"] == m["data"]

    # another checkout whose data are not built yet, then built differently: refused
    dst = tmp_path / "dst"
    with pytest.raises(CarryError, match="missing"):
        unpack(archive, dst, log=lambda s: None)
    _store(dst / "protocol/train.zarr", data + 1e-12)
    with pytest.raises(CarryError, match="differs"):
        unpack(archive, dst, log=lambda s: None)
    assert not (dst / "protocol/seed0").exists()

    # the same data (regenerated: other metadata, older than the restored stores must be): restored, newer
    _store(dst / "protocol/train.zarr", data)
    data_mtime = os.stat(dst / "protocol/train.zarr").st_mtime
    out = unpack(archive, dst, log=lambda s: None)
    assert out["restored"] == m["paths"] and out["kept"] == []
    model = read_dataset(dst / "protocol/seed0/models/nn_2x.zarr")
    np.testing.assert_array_equal(model.v.values, [[1.0, 2.0]])
    assert (dst / "benchmarks/p1_protocol_train_seed0.tsv").read_text() == "s\n12.5\n"
    assert not (dst / "benchmarks/other.tsv").exists()
    for p in [dst / "protocol/seed0/models/nn_2x.zarr", *(dst / "protocol/seed0/models/nn_2x.zarr").rglob("*")]:
        assert os.stat(p).st_mtime >= data_mtime

    # what the checkout has already is kept
    _store(dst / "protocol/seed0/models/nn_2x.zarr", [[9.0, 9.0]])
    out = unpack(archive, dst, log=lambda s: None)
    assert "protocol/seed0/models/nn_2x.zarr" in out["kept"]
    np.testing.assert_array_equal(read_dataset(dst / "protocol/seed0/models/nn_2x.zarr").v.values, [[9.0, 9.0]])

    # patterns narrowed since the archive was packed: what matches none is skipped, not restored
    dst2 = tmp_path / "dst2"
    _store(dst2 / "protocol/train.zarr", data)
    out = unpack(archive, dst2, include=["protocol/seed*/models/*.checkpoint.zarr"], log=lambda s: None)
    assert out["restored"] == ["protocol/seed0/models/nn_4x.checkpoint.zarr"]
    assert out["skipped"] == ["benchmarks/p1_protocol_train_seed0.tsv", "protocol/seed0/models/nn_2x.zarr"]
    assert not (dst2 / "protocol/seed0/models/nn_2x.zarr").exists()
    assert not (dst2 / "benchmarks").exists()


def test_cli_errors_are_messages(tmp_path, capsys):
    _run(tmp_path / "src", np.zeros((2, 2)))
    rc = main(["pack", "--base", str(tmp_path / "src"), "--include", "nothing/*", "--archive", str(tmp_path / "a.tgz")])
    assert rc == 1 and "nothing under" in capsys.readouterr().err
    rc = main(
        [
            "pack",
            "--base",
            str(tmp_path / "src"),
            "--include",
            *INCLUDE,
            "--data",
            "protocol/test.zarr",
            "--archive",
            str(tmp_path / "a.tgz"),
        ]
    )
    assert rc == 1 and "none of the data stores exists" in capsys.readouterr().err
