"""Cell: MindSpore's module class. Parameters and sub-cells register in definition
order; parameter names get the attribute path as prefix (`l1.weight`)."""
from collections import OrderedDict

from ..parameter import Parameter


_train_epoch = [0]


class TrainingFlags:
    """`training` of every cell of a network, re-read only after some flag was set.
    `if self.training:` folds while resolving, so the flags are part of a compiled
    program's key; reading them from every cell on every call would cost per cell."""

    def __init__(self, network):
        owner = getattr(network, "__self__", network)       # a bound method's cell
        self.cells = [c for _, c in owner.cells_and_names()] if hasattr(owner, "cells_and_names") else []
        self.epoch, self.flags = None, ()

    def __call__(self):
        if self.epoch != _train_epoch[0]:
            self.epoch, self.flags = _train_epoch[0], tuple([c.training for c in self.cells])
        return self.flags


class Cell:
    """Base class of networks. Subclasses define `construct`; calling a cell runs
    construct eagerly on Tensors (MindSpore's PYNATIVE mode)."""

    def __init__(self, auto_prefix=True, flags=None):
        object.__setattr__(self, "_params", OrderedDict())
        object.__setattr__(self, "_cells", OrderedDict())
        object.__setattr__(self, "_auto_prefix", auto_prefix)
        object.__setattr__(self, "training", False)
        object.__setattr__(self, "requires_grad", False)

    def __setattr__(self, name, value):
        if name == "training":
            _train_epoch[0] += 1
        if "_params" not in self.__dict__:
            if isinstance(value, (Parameter, Cell)):
                raise AttributeError(f"call super().__init__() in {type(self).__name__}.__init__ before "
                                     f"assigning '{name}'")
            object.__setattr__(self, name, value)
            return
        self._params.pop(name, None)
        self._cells.pop(name, None)
        if isinstance(value, Parameter):
            if value.has_auto_name:
                value.name = name
            self._params[name] = value
        elif isinstance(value, Cell):
            if self._auto_prefix:
                for p in value.get_parameters():
                    p.name = f"{name}.{p.name}"
            self._cells[name] = value
        object.__setattr__(self, name, value)

    def construct(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define construct")

    def __call__(self, *args, **kwargs):
        if getattr(type(self), "__s2sgrad_jit__", None) is not None:   # @s2sgrad.jit: the compiled forward
            from ..jit import call_cell
            return call_cell(self, args, kwargs)
        return self.construct(*args, **kwargs)

    def get_parameters(self, expand=True):
        """Own parameters, then each sub-cell's, in definition order; each object once."""
        seen = set()
        cells = self.cells_and_names() if expand else [("", self)]
        for _, cell in cells:
            for p in cell._params.values():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield p

    def trainable_params(self, recurse=True):
        return [p for p in self.get_parameters(expand=recurse) if p.requires_grad]

    def untrainable_params(self, recurse=True):
        return [p for p in self.get_parameters(expand=recurse) if not p.requires_grad]

    def parameters_and_names(self):
        return [(p.name, p) for p in self.get_parameters()]

    def cells_and_names(self, prefix=""):
        yield prefix, self
        for name, cell in self._cells.items():
            yield from cell.cells_and_names(f"{prefix}.{name}" if prefix else name)

    def cells(self):
        return list(self._cells.values())

    def name_cells(self):
        return OrderedDict(self._cells)

    def set_grad(self, requires_grad=True):
        object.__setattr__(self, "requires_grad", requires_grad)
        return self

    def set_train(self, mode=True):
        for _, cell in self.cells_and_names():
            object.__setattr__(cell, "training", mode)
        _train_epoch[0] += 1
        return self

    def extend_repr(self):
        return ""

    def __repr__(self):
        extra = self.extend_repr()
        if not self._cells:
            return f"{type(self).__name__}<{extra}>" if extra else f"{type(self).__name__}<>"
        lines = [f"{type(self).__name__}<{extra}"]
        for name, cell in self._cells.items():
            lines.append(f"  ({name}): " + repr(cell).replace("\n", "\n  "))
        return "\n".join(lines) + "\n  >"
