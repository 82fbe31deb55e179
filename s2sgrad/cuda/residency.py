"""Tensors whose data lives on the device.

A Tensor or Parameter that the CUDA target uses is moved there once: its class becomes
a subclass (`resident_class`) whose `_data` is a property. The device copy is the
value; the host copy is made only when host code asks for `_data` (asnumpy, printing,
eager ops: the API boundary), counted in `device.STATS`, and handed out read-only so
that an in-place write on the host cannot silently diverge from the device. Writes
go through `__setitem__`/`set_data`, which replace the host copy and drop the device
one (uploaded again, counted, when next needed)."""
import numpy as np

from . import device as D

_classes = {}


class DeviceResident:
    """Mixin for Tensor classes: storage on the device, host copy on demand."""

    @property
    def _data(self):
        host = self.__dict__.get("_host")
        if host is None:
            host = D.to_host(self.__dict__["_dev"])
            host.flags.writeable = False
            self.__dict__["_host"] = host
        return host

    @_data.setter
    def _data(self, arr):
        self.__dict__["_host"] = arr
        self.__dict__["_dev"] = None

    def _device_data(self):
        dev = self.__dict__.get("_dev")
        if dev is None:
            dev = self.__dict__["_dev"] = D.to_device(self.__dict__["_host"])
        return dev

    @property
    def shape(self):
        dev = self.__dict__.get("_dev")
        return tuple(dev.shape) if dev is not None else self.__dict__["_host"].shape

    @property
    def dtype(self):
        from .. import dtype as mstype
        dev = self.__dict__.get("_dev")
        return mstype.from_numpy(dev.dtype if dev is not None else self.__dict__["_host"].dtype)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    def __setitem__(self, index, value):
        host = np.array(self._data, copy=True)
        host[index] = value._data if hasattr(value, "_data") else value
        self._data = host

    def __len__(self):
        return self.shape[0]


def resident_class(cls):
    """`cls` with device storage (same name, still a subclass of `cls`)."""
    if issubclass(cls, DeviceResident):
        return cls
    sub = _classes.get(cls)
    if sub is None:
        sub = _classes[cls] = type(cls.__name__, (DeviceResident, cls), {"__module__": cls.__module__})
    return sub


def to_device(tensor):
    """Move `tensor` (a Tensor or Parameter) to the device, once; return its device array."""
    if isinstance(tensor, DeviceResident):
        return tensor._device_data()
    host = tensor.__dict__.pop("_data")
    tensor.__class__ = resident_class(type(tensor))
    tensor.__dict__["_host"] = None
    tensor.__dict__["_dev"] = D.to_device(host)
    return tensor.__dict__["_dev"]


def device_tensor(dev, tensor_cls):
    """A new Tensor of class `tensor_cls` holding device array `dev`."""
    t = resident_class(tensor_cls).__new__(resident_class(tensor_cls))
    t.__dict__["_host"] = None
    t.__dict__["_dev"] = dev
    return t


def release(tensor):
    """Move `tensor` back to the host: its class and a writable host array as before."""
    if not isinstance(tensor, DeviceResident):
        return
    host = np.array(tensor._data, copy=True)
    base = next(c for c in type(tensor).__mro__[1:] if not issubclass(c, DeviceResident))
    tensor.__dict__.pop("_host", None)
    tensor.__dict__.pop("_dev", None)
    tensor.__class__ = base
    tensor._data = host
