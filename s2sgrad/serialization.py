"""Checkpoints: `save_checkpoint`, `load_checkpoint`, `load_param_into_net`, with
MindSpore 2.10's signatures and return values.

File format (not MindSpore's protobuf `.ckpt`; a NumPy `.npz` zip archive, read with
`allow_pickle=False`):

    __format__.npy   0-d unicode array "s2sgrad-checkpoint-v1"
    __names__.npy    1-d unicode array: the parameter names, in save order
    param_<i>.npy    the array of the i-th name, with its exact dtype and shape

Names are stored apart from the member names so that any name (with dots, slashes,
`#`) round-trips. Values round-trip bit for bit. A write goes to a temporary file in
the target's directory, is flushed to disk, then renamed over the target
(`os.replace`), so a crash mid-write leaves the old file (or none), never a
truncated one. Like MindSpore, a file name without the `.ckpt` suffix gets it.
"""
import os
import tempfile
import zipfile

import numpy as np

from .parameter import Parameter
from .tensor import Tensor

FORMAT = "s2sgrad-checkpoint-v1"


def _checkpoint_path(name, what):
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"For '{what}', the argument 'ckpt_file_name' must be str, but got {type(name)}.")
    name = os.fspath(name)
    return name if name.endswith(".ckpt") else name + ".ckpt"


def _as_array(value, name):
    if isinstance(value, Tensor):
        return value.asnumpy()
    if isinstance(value, (np.ndarray, np.generic, bool, int, float)):
        return np.asarray(value)
    raise TypeError(f"For 'save_checkpoint', the value of '{name}' must be a Tensor, Parameter or number, "
                    f"but got {type(value)}.")


def _entries(save_obj, append_dict):
    """(name, array) pairs of a Cell or a list of {'name': ..., 'data': ...} dicts."""
    from .nn.cell import Cell
    if isinstance(save_obj, Cell):
        entries = [(p.name, p.asnumpy()) for p in save_obj.get_parameters()]
    elif isinstance(save_obj, list):
        entries = []
        for item in save_obj:
            if isinstance(item, dict) and set(item) >= {"name", "data"}:
                entries.append((item["name"], _as_array(item["data"], item["name"])))
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                entries.append((item[0], _as_array(item[1], item[0])))
            else:
                raise TypeError("For 'save_checkpoint', each element of 'save_obj' must be a dict with keys "
                                f"'name' and 'data', but got {item!r:.80}.")
    else:
        raise TypeError(f"For 'save_checkpoint', the argument 'save_obj' must be a Cell or a list, "
                        f"but got {type(save_obj)}.")
    if append_dict is not None:
        if not isinstance(append_dict, dict):
            raise TypeError(f"For 'save_checkpoint', the argument 'append_dict' must be dict, "
                            f"but got {type(append_dict)}.")
        entries += [(k, _as_array(v, k)) for k, v in append_dict.items()]
    names = [n for n, _ in entries]
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"For 'save_checkpoint', parameter names must be str, but got {type(n)}.")
    duplicate = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if duplicate is not None:
        raise ValueError(f"For 'save_checkpoint', the parameter name '{duplicate}' appears twice; "
                         f"names in a checkpoint must be unique.")
    return entries


def _write_npz(fileobj, entries):
    members = {"__format__": np.array(FORMAT), "__names__": np.array([n for n, _ in entries], dtype=str)}
    for i, (_, arr) in enumerate(entries):
        members[f"param_{i}"] = np.asarray(arr, order="C")      # (ascontiguousarray would make 0-d 1-d)
    np.savez(fileobj, **members)


def save_checkpoint(save_obj, ckpt_file_name, integrated_save=True, async_save=False, append_dict=None,
                    enc_key=None, enc_mode="AES-GCM", choice_func=None, **kwargs):
    """Save the Parameters of a Cell (or a list of {'name', 'data'} dicts) atomically."""
    if enc_key is not None:
        raise ValueError("s2sgrad checkpoints are not encrypted; pass enc_key=None")
    path = _checkpoint_path(ckpt_file_name, "save_checkpoint")
    entries = _entries(save_obj, append_dict)
    if choice_func is not None:
        entries = [(n, a) for n, a in entries if choice_func(n)]
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".ckpt", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, entries)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _read(path):
    """name -> array from a checkpoint file, or a ValueError saying what is wrong."""
    if not os.path.isfile(path):
        raise ValueError(f"For 'load_checkpoint', the checkpoint file {path} does not exist, please check "
                         f"whether the 'ckpt_file_name' is correct.")
    try:
        with np.load(path, allow_pickle=False) as data:
            if "__format__" not in data.files or str(data["__format__"]) != FORMAT:
                raise ValueError("no s2sgrad format marker")
            names = [str(n) for n in data["__names__"]]
            return {n: data[f"param_{i}"] for i, n in enumerate(names)}
    except Exception as exc:      # zipfile.BadZipFile, truncation (EOFError, zlib), a foreign file
        reason = "the file is truncated or corrupt" if isinstance(exc, (zipfile.BadZipFile, EOFError)) else str(exc)
        raise ValueError(f"For 'load_checkpoint', failed to read the checkpoint file {path}: it is not a valid "
                         f"s2sgrad checkpoint ({reason}). Save it again with s2sgrad.save_checkpoint.") from None


def load_checkpoint(ckpt_file_name, net=None, strict_load=False, filter_prefix=None, dec_key=None,
                    dec_mode="AES-GCM", specify_prefix=None, choice_func=None, **kwargs):
    """A dict name -> Parameter of the checkpoint; loads it into `net` too when given."""
    if dec_key is not None:
        raise ValueError("s2sgrad checkpoints are not encrypted; pass dec_key=None")
    path = _checkpoint_path(ckpt_file_name, "load_checkpoint")
    arrays = _read(path)

    def keep(name):
        if specify_prefix is not None and not name.startswith(_prefixes(specify_prefix)):
            return False
        if filter_prefix is not None and name.startswith(_prefixes(filter_prefix)):
            return False
        return choice_func is None or choice_func(name)

    params = {n: Parameter(Tensor._from_array(a.copy()), name=n) for n, a in arrays.items() if keep(n)}
    if net is not None:
        load_param_into_net(net, params, strict_load)
    return params


def _prefixes(prefix):
    return (prefix,) if isinstance(prefix, str) else tuple(prefix)


def _float(dtype):
    return np.issubdtype(dtype, np.floating)


def load_param_into_net(net, parameter_dict, strict_load=False, remove_redundancy=False):
    """Copy the values of `parameter_dict` into `net`'s Parameters of the same name.
    Returns (param_not_load, ckpt_not_load): the net's parameter names that got no
    value, and the dict's names that were not used. A shape mismatch, or a dtype
    mismatch other than float-to-float with strict_load=False, raises RuntimeError
    naming the parameter and both shapes / dtypes."""
    from .nn.cell import Cell
    if not isinstance(net, Cell):
        raise TypeError(f"For 'load_param_into_net', the argument 'net' should be a Cell, but got {type(net)}.")
    if not isinstance(parameter_dict, dict):
        raise TypeError(f"For 'load_param_into_net', the argument 'parameter_dict' should be a dict, "
                        f"but got {type(parameter_dict)}.")
    if not isinstance(strict_load, bool):
        raise TypeError(f"For 'load_param_into_net', the argument 'strict_load' should be a bool, "
                        f"but got {type(strict_load)}.")
    updates, param_not_load = [], []
    for param in net.get_parameters():
        new = parameter_dict.get(param.name)
        if new is None:
            param_not_load.append(param.name)
            continue
        arr = new.asnumpy() if isinstance(new, Tensor) else np.asarray(new)
        have = param.asnumpy()
        if arr.shape != have.shape:
            raise RuntimeError(f"For 'load_param_into_net', {param.name} in the argument 'net' should have the same "
                               f"shape as {param.name} in the argument 'parameter_dict'. But got its shape "
                               f"{have.shape} in the argument 'net' and shape {arr.shape} in the argument "
                               f"'parameter_dict'. May you need to check whether the checkpoint you loaded is correct "
                               f"or the batch size and so on in the 'net' and 'parameter_dict' are same.")
        if arr.dtype != have.dtype and (strict_load or not (_float(arr.dtype) and _float(have.dtype))):
            raise RuntimeError(f"For 'load_param_into_net', {param.name} in the argument 'net' should have the same "
                               f"type as {param.name} in the argument 'parameter_dict'. But got its type "
                               f"{param.dtype} in the argument 'net' and type {Tensor._from_array(arr).dtype} in the "
                               f"argument 'parameter_dict'.")
        updates.append((param, arr))
    for param, arr in updates:        # validate everything before changing anything
        param.set_data(Tensor._from_array(arr))
    used = {p.name for p, _ in updates}
    ckpt_not_load = [name for name in parameter_dict if name not in used]
    return param_not_load, ckpt_not_load
