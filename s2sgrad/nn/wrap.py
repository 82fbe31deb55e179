"""WithLossCell, ForwardValueAndGrad and TrainOneStepCell, with MindSpore's validation and messages."""
import types

import numpy as np

from ..errors import S2SGradError
from ..parameter import ParameterTuple
from ..primitives import AVal
from ..tensor import Tensor
from .cell import Cell


class WithLossCell(Cell):
    def __init__(self, backbone, loss_fn):
        super().__init__(auto_prefix=False)
        self._backbone = backbone
        self._loss_fn = loss_fn

    def construct(self, data, label):
        out = self._backbone(data)
        return self._loss_fn(out, label)

    @property
    def backbone_network(self):
        return self._backbone


class ForwardValueAndGrad(Cell):
    """Returns (network(*inputs), gradients) from one compiled forward-and-backward run.
    The gradients' structure follows get_all / get_by_list as in MindSpore 2.10."""

    def __init__(self, network, weights=None, get_all=False, get_by_list=False, sens_param=False):
        super().__init__(auto_prefix=False)
        if not isinstance(network, (Cell, types.FunctionType, types.MethodType)):
            raise TypeError(f"For 'ForwardValueAndGrad', the argument 'network' must be cell, function type or "
                            f"method type, but got '{type(network)}'")
        if not isinstance(get_all, bool):
            raise TypeError(f"For 'ForwardValueAndGrad', the type of 'get_all' must be bool, but got '{type(get_all)}'")
        if not isinstance(get_by_list, bool):
            raise TypeError(f"For 'ForwardValueAndGrad', the type of 'get_by_list' must be bool, "
                            f"but got '{type(get_by_list)}'")
        if get_by_list and not isinstance(weights, (ParameterTuple, tuple, list)):
            shown = "<class 'abc.Parameter'>" if type(weights).__name__ == "Parameter" else str(type(weights))
            raise TypeError(f"For 'ForwardValueAndGrad', when 'get_by_list' is set to True, the argument 'weights' "
                            f"must be Parameters array, but got '{shown}'")
        from ..grad import GradFunction
        from ..ops import GradOperation
        GradOperation(get_all=get_all, get_by_list=get_by_list, sens_param=sens_param)  # validates sens_param
        if isinstance(network, Cell):
            network.set_grad()
        object.__setattr__(self, "network", network)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "get_all", get_all)
        object.__setattr__(self, "get_by_list", get_by_list)
        object.__setattr__(self, "sens_param", sens_param)
        object.__setattr__(self, "_grad", GradFunction(network, weights, get_all, get_by_list, sens_param))

    def construct(self, *inputs):
        return self._grad(*inputs)

    def __call__(self, *inputs, **kwargs):
        if kwargs:
            raise TypeError(f"ForwardValueAndGrad.construct() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        return self._grad(*inputs)


class TrainOneStepCell(Cell):
    """One training step: `loss = train(*inputs)` computes the network's loss and its
    gradients w.r.t. `optimizer.parameters` in one compiled run (sens filled with
    `sens`), applies the optimizer, and returns the loss. With `return_grad=True` it
    returns `(loss, {parameter name: gradient})`, as MindSpore 2.x does."""

    def __init__(self, network, optimizer, sens=None, return_grad=False):
        super().__init__(auto_prefix=False)
        from .optim import Optimizer
        if not isinstance(network, Cell):
            raise TypeError(f"For 'TrainOneStepCell', the argument 'network' must be a Cell, but got {type(network)}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"For 'TrainOneStepCell', the argument 'optimizer' must be an optimizer of s2sgrad.nn, "
                            f"but got {type(optimizer)}")
        if not isinstance(return_grad, bool):
            raise TypeError(f"For 'TrainOneStepCell', the 'return_grad' must be bool, but got {type(return_grad)}")
        self.network = network
        self.network.set_grad()
        self.optimizer = optimizer
        object.__setattr__(self, "weights", optimizer.parameters)
        object.__setattr__(self, "sens", 1.0 if sens is None else float(sens))
        object.__setattr__(self, "return_grad", return_grad)
        object.__setattr__(self, "_grad", ForwardValueAndGrad(network, weights=self.weights, get_by_list=True,
                                                              sens_param=True))
        object.__setattr__(self, "_loss_avals", {})      # input signature -> the loss's (shape, dtype)

    def construct(self, *inputs):
        key = tuple((a.dtype, a.shape) if isinstance(a, Tensor) else (type(a), a) for a in inputs)
        aval = self._loss_avals.get(key)
        if aval is None:
            # the loss's shape is known once the program is compiled: try a 0-d sens first
            try:
                loss, grads = self._grad(*inputs, Tensor(np.array(self.sens)))
            except S2SGradError as exc:
                if "sens" not in str(exc):
                    raise
                out = getattr(self._grad._grad.last, "out_aval", None)
                if not isinstance(out, AVal):
                    raise S2SGradError("TrainOneStepCell needs a network that returns one loss Tensor") from None
                self._loss_avals[key] = (out.shape, out.dtype)
                return self.construct(*inputs)
            self._loss_avals[key] = (loss.shape, loss.asnumpy().dtype)
        else:
            shape, dtype = aval
            loss, grads = self._grad(*inputs, Tensor(np.full(shape, self.sens, dtype)))
        self.optimizer(grads)
        if self.return_grad:
            return loss, {w.name: g for w, g in zip(self.weights, grads)}
        return loss

    def __call__(self, *inputs):
        return self.construct(*inputs)
