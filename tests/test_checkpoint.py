"""Checkpoints: bit-exact round trips for every dtype, atomic writes, MindSpore 2.10's
load_param_into_net return value, and clear errors for mismatches and bad files."""
import os

import numpy as np
import pytest

import s2sgrad as ms
from s2sgrad import nn, Tensor, Parameter
from s2sgrad import serialization


class Mixed(nn.Cell):
    def __init__(self, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.w16 = Parameter(Tensor(rng.standard_normal((2, 3)).astype(np.float16)), name="w16")
        self.w32 = Parameter(Tensor(rng.standard_normal((3,)).astype(np.float32)), name="w32")
        self.w64 = Parameter(Tensor(np.array([np.pi, -0.0, np.nextafter(1.0, 2.0), 1e-310])), name="w64")
        self.i32 = Parameter(Tensor(np.array([[1, -2], [2**31 - 1, -2**31]], np.int32)), name="i32",
                             requires_grad=False)
        self.i64 = Parameter(Tensor(np.array(2**62 + 1, np.int64)), name="i64", requires_grad=False)
        self.flag = Parameter(Tensor(np.array([True, False])), name="flag", requires_grad=False)


def test_round_trip_is_bit_exact_for_every_dtype(tmp_path):
    src, dst = Mixed(0), Mixed(1)
    path = tmp_path / "net"
    ms.save_checkpoint(src, str(path))
    assert os.path.exists(str(path) + ".ckpt")              # the suffix is added, as in MindSpore
    loaded = ms.load_checkpoint(str(path) + ".ckpt")
    assert list(loaded) == ["w16", "w32", "w64", "i32", "i64", "flag"]
    assert all(isinstance(p, Parameter) and p.name == n for n, p in loaded.items())
    assert ms.load_param_into_net(dst, loaded) == ([], [])
    for a, b in zip(src.get_parameters(), dst.get_parameters()):
        assert a.asnumpy().dtype == b.asnumpy().dtype and a.shape == b.shape
        assert a.asnumpy().tobytes() == b.asnumpy().tobytes()


def test_save_a_list_of_dicts_and_load_into_net_reports_unmatched_names(tmp_path):
    net = Mixed(0)
    path = str(tmp_path / "part.ckpt")
    ms.save_checkpoint([{"name": "w32", "data": Tensor(np.ones(3, np.float32))},
                        {"name": "extra", "data": Tensor(np.zeros(2))}], path)
    param_not_load, ckpt_not_load = ms.load_param_into_net(net, ms.load_checkpoint(path))
    assert param_not_load == ["w16", "w64", "i32", "i64", "flag"]
    assert ckpt_not_load == ["extra"]
    np.testing.assert_array_equal(net.w32.asnumpy(), np.ones(3, np.float32))
    other = Mixed(0)
    ms.load_checkpoint(path, net=other)                     # net= loads as well
    np.testing.assert_array_equal(other.w32.asnumpy(), np.ones(3, np.float32))


def test_a_failed_write_leaves_the_old_file_intact_and_no_temporary_file(tmp_path, monkeypatch):
    path = str(tmp_path / "net.ckpt")
    ms.save_checkpoint(Mixed(0), path)
    before = open(path, "rb").read()

    def crash(fileobj, entries):
        fileobj.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")
    monkeypatch.setattr(serialization, "_write_npz", crash)
    with pytest.raises(OSError, match="disk full"):
        ms.save_checkpoint(Mixed(1), path)
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["net.ckpt"]


def test_shape_mismatch_names_the_parameter_and_both_shapes(tmp_path):
    path = str(tmp_path / "a.ckpt")
    ms.save_checkpoint([{"name": "w32", "data": Tensor(np.ones(4, np.float32))}], path)
    net = Mixed(0)
    old = net.w32.asnumpy().copy()
    with pytest.raises(RuntimeError, match=r"w32 in the argument 'net' should have the same shape.*\(3,\).*\(4,\)"):
        ms.load_checkpoint(path, net=net)
    np.testing.assert_array_equal(net.w32.asnumpy(), old)       # nothing changed


def test_dtype_mismatch_names_the_parameter_and_both_dtypes(tmp_path):
    path = str(tmp_path / "b.ckpt")
    ms.save_checkpoint([{"name": "i32", "data": Tensor(np.ones((2, 2), np.float32))}], path)
    with pytest.raises(RuntimeError, match=r"i32 in the argument 'net' should have the same type.*Int32.*Float32"):
        ms.load_checkpoint(path, net=Mixed(0))
    # float to float converts unless strict_load, as in MindSpore
    ms.save_checkpoint([{"name": "w32", "data": Tensor(np.array([0.5, 1.5, 2.5], np.float64))}], path)
    net = Mixed(0)
    ms.load_param_into_net(net, ms.load_checkpoint(path))
    assert net.w32.asnumpy().dtype == np.float32 and net.w32.asnumpy().tolist() == [0.5, 1.5, 2.5]
    with pytest.raises(RuntimeError, match=r"w32 .*same type.*Float32.*Float64"):
        ms.load_param_into_net(Mixed(0), ms.load_checkpoint(path), strict_load=True)


def test_corrupt_truncated_foreign_and_missing_files_give_clear_errors(tmp_path):
    path = str(tmp_path / "net.ckpt")
    ms.save_checkpoint(Mixed(0), path)
    data = open(path, "rb").read()
    truncated = str(tmp_path / "truncated.ckpt")
    open(truncated, "wb").write(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a valid s2sgrad checkpoint"):
        ms.load_checkpoint(truncated)
    garbage = str(tmp_path / "garbage.ckpt")
    open(garbage, "wb").write(b"\x08\x01 not a checkpoint")
    with pytest.raises(ValueError, match="not a valid s2sgrad checkpoint"):
        ms.load_checkpoint(garbage)
    foreign = str(tmp_path / "foreign.ckpt")
    with open(foreign, "wb") as f:
        np.savez(f, weights=np.ones(3))
    with pytest.raises(ValueError, match="not a valid s2sgrad checkpoint"):
        ms.load_checkpoint(foreign)
    with pytest.raises(ValueError, match="does not exist"):
        ms.load_checkpoint(str(tmp_path / "missing.ckpt"))


def test_names_with_any_characters_round_trip(tmp_path):
    path = str(tmp_path / "names.ckpt")
    names = ["l1.weight", "seq.0/bias", "Parameter#3", "moment1.l1.weight"]
    ms.save_checkpoint([{"name": n, "data": Tensor(np.full(2, i, np.float32))} for i, n in enumerate(names)], path)
    loaded = ms.load_checkpoint(path)
    assert list(loaded) == names
    assert [float(p.asnumpy()[0]) for p in loaded.values()] == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="appears twice"):
        ms.save_checkpoint([{"name": "a", "data": Tensor(1.0)}, {"name": "a", "data": Tensor(2.0)}], path)
