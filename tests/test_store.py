"""Tests for coarsepde.store: Zarr v3 format, determinism, atomicity, errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from coarsepde import store
from coarsepde.store import StoreError

ATTRS = dict(
    title="test burgers solutions",
    source="rule simulate, wildcards {'equation': 'burgers', 'resolution': '64'}",
    references="Bar-Sinai et al. 2019, PNAS, eq. (1)-(3)",
)


def make_dataset(seed: int = 0, n_sample: int = 3, n_time: int = 5, n_x: int = 16) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    return xr.Dataset(
        {"u": (("sample", "time", "x"), rng.normal(size=(n_sample, n_time, n_x)), {"units": "m s-1"})},
        coords={
            "sample": ("sample", np.arange(n_sample), {"units": "1"}),
            "time": ("time", np.linspace(0.0, 1.0, n_time), {"units": "s"}),
            "x": ("x", np.linspace(0.0, 2 * np.pi, n_x, endpoint=False), {"units": "m"}),
        },
    )


def prov(seed: int = 0) -> dict:
    return store.provenance({"nu": 0.01, "n_x": 16}, seed=seed, rule="simulate", wildcards={"equation": "burgers"})


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def chunk_files(root: Path, var: str) -> list[Path]:
    return sorted(p for p in (root / var).rglob("*") if p.is_file() and p.name != "zarr.json")


# 1. round trip and format ------------------------------------------------------


def test_round_trip_and_zarr_v3_metadata(tmp_path):
    ds = make_dataset()
    p = prov()
    out = store.write_dataset(ds, tmp_path / "a.zarr", provenance=p, **ATTRS)
    assert out == (tmp_path / "a.zarr").absolute()

    back = store.read_dataset(out)
    xr.testing.assert_identical(back.drop_attrs(deep=False), ds)  # data, coords, var attrs (units)
    for key, value in ATTRS.items():
        assert back.attrs[key] == value
    assert back.attrs["provenance"] == p
    assert isinstance(back.attrs["provenance"], dict)
    assert isinstance(back["u"].data, np.ndarray)  # loaded, not lazy
    assert back["u"].attrs["units"] == "m s-1" and back["x"].attrs["units"] == "m"

    root_meta = json.loads((out / "zarr.json").read_text())
    assert root_meta["zarr_format"] == 3
    assert root_meta["node_type"] == "group"
    assert "consolidated_metadata" not in root_meta or root_meta["consolidated_metadata"] is None
    for var in ("u", "sample", "time", "x"):
        meta = json.loads((out / var / "zarr.json").read_text())
        assert meta["zarr_format"] == 3 and meta["node_type"] == "array"
        assert meta["dimension_names"] == list(ds[var].dims)
        assert "compressor" not in meta
        assert [c["name"] for c in meta["codecs"]] == ["bytes", "zstd", "crc32c"]  # named codecs, no sharding
    assert not list(out.rglob(".z*")), "v2 metadata files must not be written"


def test_chunks_split_leading_dimension_at_about_1mb(tmp_path):
    # 40 samples x 8192 float64 = 64 KiB per sample -> 16 samples per 1 MiB chunk
    # all NaN = xarray's fill value for floats, which Zarr 3 would skip by default
    ds = xr.Dataset({"u": (("sample", "x"), np.full((40, 8192), np.nan))})
    out = store.write_dataset(ds, tmp_path / "big.zarr", provenance={}, **ATTRS)
    meta = json.loads((out / "u" / "zarr.json").read_text())
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [16, 8192]
    # fill-value chunks are still written, so deletion can be detected on read
    assert len(chunk_files(out, "u")) == 3
    assert np.isnan(store.read_dataset(out)["u"].values).all()


# 2. determinism ---------------------------------------------------------------


def test_rewrite_is_byte_identical(tmp_path):
    p = prov(seed=7)
    a = store.write_dataset(make_dataset(seed=7), tmp_path / "a.zarr", provenance=p, **ATTRS)
    b = store.write_dataset(make_dataset(seed=7), tmp_path / "sub" / "b.zarr", provenance=p, **ATTRS)
    files_a = files_of(a)
    assert "zarr.json" in files_a and len(files_a) >= 8
    assert files_of(b) == files_a

    store.write_dataset(make_dataset(seed=7), a, provenance=p, **ATTRS)  # same path again
    assert files_of(a) == files_a

    c = store.write_dataset(make_dataset(seed=8), tmp_path / "c.zarr", provenance=p, **ATTRS)
    assert files_of(c) != files_a  # the comparison can tell different data apart


def test_no_hostname_or_timestamp_in_store(tmp_path):
    out = store.write_dataset(make_dataset(), tmp_path / "a.zarr", provenance=prov(), **ATTRS)
    host = socket.gethostname().encode()
    assert host
    for rel, data in files_of(out).items():
        assert host not in data, rel
    root = json.loads((out / "zarr.json").read_text())
    text = json.dumps(root).lower()
    for word in ("timestamp", "hostname", "created", "date"):
        assert word not in text


# 4. atomicity -----------------------------------------------------------------


def _failing_to_zarr(original):
    def to_zarr(self, *args, **kwargs):
        original(self, *args, **kwargs)  # the store is fully written in the temp dir...
        raise RuntimeError("killed mid-write")  # ...then the job dies

    return to_zarr


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(xr.Dataset, "to_zarr", _failing_to_zarr(xr.Dataset.to_zarr))
    final = tmp_path / "a.zarr"
    with pytest.raises(RuntimeError, match="killed mid-write"):
        store.write_dataset(make_dataset(), final, provenance=prov(), **ATTRS)
    assert not final.exists()
    assert list(tmp_path.iterdir()) == []  # no temp sibling left behind


def test_failed_encoding_leaves_nothing(tmp_path):
    bad = make_dataset()
    bad.attrs["unstorable"] = object()  # xarray rejects it while writing
    final = tmp_path / "a.zarr"
    with pytest.raises(TypeError):
        store.write_dataset(bad, final, provenance=prov(), **ATTRS)
    assert list(tmp_path.iterdir()) == []


def test_failed_overwrite_keeps_old_store(tmp_path, monkeypatch):
    final = tmp_path / "a.zarr"
    old = make_dataset(seed=1)
    store.write_dataset(old, final, provenance=prov(1), **ATTRS)
    before = files_of(final)

    monkeypatch.setattr(xr.Dataset, "to_zarr", _failing_to_zarr(xr.Dataset.to_zarr))
    with pytest.raises(RuntimeError):
        store.write_dataset(make_dataset(seed=2), final, provenance=prov(2), **ATTRS)
    assert [p.name for p in tmp_path.iterdir()] == ["a.zarr"]
    assert files_of(final) == before
    back = store.read_dataset(final)
    xr.testing.assert_identical(back.drop_attrs(deep=False), old)
    assert back.attrs["provenance"] == prov(1)


def test_successful_overwrite_replaces_and_cleans_up(tmp_path):
    final = tmp_path / "a.zarr"
    store.write_dataset(make_dataset(seed=1), final, provenance=prov(1), **ATTRS)
    new = make_dataset(seed=2, n_sample=2)
    store.write_dataset(new, final, provenance=prov(2), **ATTRS)
    assert [p.name for p in tmp_path.iterdir()] == ["a.zarr"]
    xr.testing.assert_identical(store.read_dataset(final).drop_attrs(deep=False), new)


# 5. errors --------------------------------------------------------------------


def test_missing_path(tmp_path):
    path = tmp_path / "nope.zarr"
    with pytest.raises(StoreError, match="does not exist") as info:
        store.read_dataset(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, OSError)


def test_empty_directory(tmp_path):
    path = tmp_path / "empty.zarr"
    path.mkdir()
    with pytest.raises(StoreError, match="empty directory") as info:
        store.read_dataset(path)
    assert str(path) in str(info.value)


def test_garbled_root_metadata(tmp_path):
    path = store.write_dataset(make_dataset(), tmp_path / "a.zarr", provenance=prov(), **ATTRS)
    (path / "zarr.json").write_bytes(b"\x00garbage{{")
    with pytest.raises(StoreError, match="corrupt") as info:
        store.read_dataset(path)
    assert str(path) in str(info.value)


def test_garbled_variable_metadata(tmp_path):
    path = store.write_dataset(make_dataset(), tmp_path / "a.zarr", provenance=prov(), **ATTRS)
    (path / "u" / "zarr.json").write_text('{"zarr_format": 3, "node_type": "array"')
    with pytest.raises(StoreError) as info:
        store.read_dataset(path)
    assert str(path) in str(info.value)


def test_missing_chunk(tmp_path):
    path = store.write_dataset(make_dataset(), tmp_path / "a.zarr", provenance=prov(), **ATTRS)
    chunks = chunk_files(path, "u")
    assert chunks and chunks[0].relative_to(path).parts[:2] == ("u", "c")  # v3 default key layout
    chunks[0].unlink()
    with pytest.raises(StoreError, match="chunk") as info:
        store.read_dataset(path)
    assert str(path) in str(info.value)


def test_garbled_chunk(tmp_path):
    path = store.write_dataset(make_dataset(), tmp_path / "a.zarr", provenance=prov(), **ATTRS)
    chunk_files(path, "u")[0].write_bytes(b"not zstd")
    with pytest.raises(StoreError) as info:
        store.read_dataset(path)
    assert str(path) in str(info.value)


def _flip_one_byte(chunk: Path, offset: int) -> None:
    data = bytearray(chunk.read_bytes())
    data[offset] ^= 0x01
    chunk.write_bytes(bytes(data))


@pytest.mark.parametrize("where", ["payload", "checksum"])
def test_flipped_byte_is_an_error_naming_store_and_array(tmp_path, where):
    """Every array carries a CRC-32C of its compressed chunks: one flipped bit anywhere in a chunk file
    (compressed data or the stored checksum) is an error naming the store and the array, even where
    the damaged chunk would still decompress."""
    path = store.write_dataset(make_dataset(), tmp_path / "a.zarr", provenance=prov(), **ATTRS)
    meta = json.loads((path / "u" / "zarr.json").read_text())
    assert [c["name"] for c in meta["codecs"]][-2:] == ["zstd", "crc32c"]
    chunk = chunk_files(path, "u")[0]
    size = chunk.stat().st_size
    # the zstd frame's last content byte, or the 4-byte CRC trailer
    _flip_one_byte(chunk, size - 5 if where == "payload" else size - 1)
    with pytest.raises(StoreError, match="crc32c|checksum|Checksum") as info:
        store.read_dataset(path)
    assert str(path) in str(info.value) and "array 'u'" in str(info.value)


def test_flipped_byte_in_weights_names_the_array(tmp_path):
    torch = pytest.importorskip("torch")
    path = store.save_state_dict(
        {"w": torch.arange(8.0), "b": torch.ones(2)}, tmp_path / "w.zarr", title="w", source="s", provenance={}
    )
    _flip_one_byte(chunk_files(path, "w")[0], 0)
    with pytest.raises(StoreError) as info:
        store.load_state_dict(path)
    assert str(path) in str(info.value) and "array 'w'" in str(info.value)


# 6. model weights -------------------------------------------------------------


def test_state_dict_round_trip(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    sd = net.state_dict()
    sd["extra.half"] = torch.randn(3, dtype=torch.float16)
    sd["extra.bf16"] = torch.randn(3, dtype=torch.bfloat16)  # numpy has no bfloat16
    sd["extra.count"] = torch.tensor(5)  # 0-d int64, like BatchNorm's num_batches_tracked
    p = prov()

    path = store.save_state_dict(sd, tmp_path / "w.zarr", title="weights", source="rule train", provenance=p)
    back = store.load_state_dict(path)
    assert list(back) == list(sd)
    for key in sd:
        assert back[key].dtype == sd[key].dtype, key
        assert back[key].shape == sd[key].shape, key
        assert torch.equal(back[key], sd[key]), key

    net2 = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    net2.load_state_dict({k: v for k, v in back.items() if not k.startswith("extra.")})
    x = torch.randn(5, 4)
    assert torch.equal(net(x), net2(x))

    for rel, data in files_of(path).items():
        assert not data.startswith(b"\x80"), f"{rel} looks like a pickle"
    meta = json.loads((path / "zarr.json").read_text())
    assert meta["zarr_format"] == 3
    assert meta["attributes"]["title"] == "weights"
    assert meta["attributes"]["source"] == "rule train"
    assert meta["attributes"]["provenance"] == p
    assert (path / "0.weight" / "zarr.json").exists()


def test_state_dict_is_deterministic_and_atomic(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    sd = {"a.weight": torch.arange(6.0).reshape(2, 3), "a.bias": torch.zeros(2)}
    a = store.save_state_dict(sd, tmp_path / "a.zarr", title="w", source="s", provenance={})
    b = store.save_state_dict(sd, tmp_path / "b.zarr", title="w", source="s", provenance={})
    assert files_of(a) == files_of(b)

    with pytest.raises(ValueError, match="a/b"):
        store.save_state_dict({"a/b": torch.zeros(1)}, tmp_path / "c.zarr", title="w", source="s", provenance={})
    assert not (tmp_path / "c.zarr").exists()

    with pytest.raises(TypeError):
        store.save_state_dict({"a": [1.0]}, tmp_path / "d.zarr", title="w", source="s", provenance={})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zarr", "b.zarr"]


def test_state_dict_errors(tmp_path):
    torch = pytest.importorskip("torch")
    missing = tmp_path / "missing.zarr"
    with pytest.raises(StoreError) as info:
        store.load_state_dict(missing)
    assert str(missing) in str(info.value)

    sd = {"w": torch.ones(3), "b": torch.zeros(3)}  # zeros = the arrays' fill value
    path = store.save_state_dict(sd, tmp_path / "w.zarr", title="w", source="s", provenance={})
    assert len(chunk_files(path, "b")) == 1  # written anyway, so its loss is detectable
    chunk_files(path, "w")[0].unlink()
    with pytest.raises(StoreError, match="chunk") as info:
        store.load_state_dict(path)
    assert str(path) in str(info.value)


# 7. provenance ----------------------------------------------------------------


def test_provenance_contents():
    p = store.provenance(
        {
            "nu": np.float64(0.01),
            "n": np.int32(64),
            "flag": np.bool_(True),
            "grid": np.arange(3),
            "nested": {"k": (1, 2)},
        },
        seed=np.int64(3),
        rule="simulate",
        wildcards={"equation": "burgers"},
    )
    assert set(p) == {"params", "seed", "rule", "wildcards", "packages", "code_version"}
    assert p["params"] == {"nu": 0.01, "n": 64, "flag": True, "grid": [0, 1, 2], "nested": {"k": [1, 2]}}
    assert type(p["params"]["nu"]) is float and type(p["params"]["n"]) is int and type(p["params"]["flag"]) is bool
    assert all(type(v) is int for v in p["params"]["grid"])
    assert p["seed"] == 3 and type(p["seed"]) is int
    assert p["rule"] == "simulate" and p["wildcards"] == {"equation": "burgers"}
    assert isinstance(p["code_version"], str) and p["code_version"]

    pkgs = p["packages"]
    for name in ("python", "numpy", "scipy", "xarray", "zarr", "pandas", "torch", "snakemake", "coarsepde"):
        assert isinstance(pkgs[name], str) and pkgs[name]
    assert pkgs["numpy"] == np.__version__
    json.dumps(p, allow_nan=False)  # strictly JSON-serialisable

    def keys(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                yield k
                yield from keys(v)

    for k in keys(p):
        assert not any(word in k.lower() for word in ("time", "date", "host")), k


def test_provenance_rejects_unserialisable():
    with pytest.raises(TypeError, match="bad_param"):
        store.provenance({"ok": 1, "bad_param": object()})
    with pytest.raises(TypeError, match="inner"):
        store.provenance({"outer": {"inner": object()}})


def test_code_version_env_fallback(monkeypatch, tmp_path):
    monkeypatch.setenv("COARSEPDE_CODE_VERSION", "v9.9-test")
    monkeypatch.setattr(store.metadata, "__file__", str(tmp_path / "a" / "b" / "c" / "metadata.py"))  # not in a repo
    store.code_version.cache_clear()
    try:
        assert store.code_version() == "v9.9-test"
    finally:
        store.code_version.cache_clear()
