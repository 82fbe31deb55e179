"""WithLossCell and ForwardValueAndGrad, with MindSpore's validation and messages."""
import types

from ..parameter import ParameterTuple
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
