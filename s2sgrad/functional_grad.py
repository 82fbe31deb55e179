"""`s2sgrad.grad` and `s2sgrad.value_and_grad`: MindSpore 2.10's functional gradient API.

    grad(fn, grad_position=0, weights=None, has_aux=False, return_ids=False, sens_param=False)
    value_and_grad(...)                       same arguments; returns (value, gradient)

Gradient structure: an int position gives a bare Tensor, a tuple of positions a tuple
(even `(0,)`); `grad_position=None` with weights gives the weights' tuple (a single
Parameter as weights: a bare Tensor); positions and weights give
`(position_grads, weight_grads)`. With `has_aux=True`, `fn` returns `(out, aux...)`,
only `out` is differentiated (the aux outputs get a zero sens), `grad` returns
`(gradient, (aux...))` and `value_and_grad` returns `((out, aux...), gradient)`.
Without it every output is differentiated with a sens of ones.

Both run on GradFunction (one compiled forward-and-backward per argument signature):
it computes the gradients of every Tensor input and this module picks the positions.
"""
from .errors import S2SGradError
from .grad import GradFunction
from .parameter import Parameter
from .primitives import AVal
from .tensor import Tensor

import numpy as np


def _check_position(grad_position, weights):
    if grad_position is None:
        if weights is None:
            raise ValueError("`grad_position` and `weight` can not be None at the same time.")
        return None
    if isinstance(grad_position, bool) or not isinstance(grad_position, (int, tuple)):
        raise TypeError("For 'F.grad', the 'grad_position' must be int or tuple.")
    positions = (grad_position,) if isinstance(grad_position, int) else grad_position
    for p in positions:
        if isinstance(p, bool) or not isinstance(p, int):
            raise TypeError("For 'F.grad', the 'grad_position' must be int or tuple.")
        if p < 0:
            raise ValueError("grad_position must be >= 0.")
    if len(set(positions)) != len(positions):
        raise ValueError("There are duplicate positions in `grad_position`, please check it.")
    return positions


def _check_weights(weights):
    if weights is None:
        return None
    if isinstance(weights, Parameter):
        return [weights]
    if isinstance(weights, (tuple, list)) and all(isinstance(w, Parameter) for w in weights):
        return list(weights)
    raise TypeError(f"For 'F.grad', the 'weights' must be a Parameter, a ParameterTuple or a list of Parameters, "
                    f"but got {type(weights).__name__}.")


class _Gradient:
    """The callable that grad / value_and_grad return."""

    def __init__(self, fn, grad_position, weights, has_aux, return_ids, sens_param, with_value):
        if not callable(fn):
            raise TypeError(f"For 'F.grad', the 'fn' must be callable, but got {type(fn).__name__}.")
        for name, flag in (("has_aux", has_aux), ("return_ids", return_ids), ("sens_param", sens_param)):
            if not isinstance(flag, bool):
                raise TypeError(f"For 'F.grad', the '{name}' must be bool, but got {type(flag).__name__}.")
        self.positions = _check_position(grad_position, weights)
        self.bare_position = isinstance(grad_position, int) and not isinstance(grad_position, bool)
        self.weights = _check_weights(weights)
        self.bare_weight = isinstance(weights, Parameter)
        self.has_aux, self.return_ids, self.sens_param, self.with_value = has_aux, return_ids, sens_param, with_value
        self.grad_fn = GradFunction(fn, self.weights, get_all=self.positions is not None,
                                    get_by_list=self.weights is not None, sens_param=has_aux or sens_param)
        self.out_avals = {}        # argument signature -> the compiled program's output avals

    def __call__(self, *args):
        if self.sens_param:
            if not args:
                raise TypeError("the sens is missing: with sens_param=True pass it as the last positional argument")
            inputs, sens = args[:-1], args[-1]
        else:
            inputs, sens = args, None
        if self.has_aux:
            out, grads = self._call_with_aux(inputs, sens)
        else:
            out, grads = self.grad_fn(*inputs, sens) if self.sens_param else self.grad_fn(*inputs)
        gradient = self._structure(inputs, grads)
        if self.has_aux:
            return (out, gradient) if self.with_value else (gradient, tuple(out[1:]))
        return (out, gradient) if self.with_value else gradient

    def _call_with_aux(self, inputs, sens):
        """Differentiate output 0 only: the aux outputs get a sens of zeros."""
        key = tuple((a.dtype, a.shape) if isinstance(a, Tensor) else (type(a), a) for a in inputs)
        avals = self.out_avals.get(key)
        if avals is None:
            try:           # compiles the program; the empty sens is then refused, before anything runs
                self.grad_fn(*inputs, ())
            except S2SGradError:
                pass
            avals = self.grad_fn.last.out_aval
            if not isinstance(avals, tuple) or len(avals) < 2:
                raise ValueError("When has_aux is True, origin fn requires more than one outputs.")
            self.out_avals[key] = avals
        first = sens if sens is not None else self._fill(avals[0], 1)
        full = (first,) + tuple(self._fill(a, 0) for a in avals[1:])
        return self.grad_fn(*inputs, full)

    @staticmethod
    def _fill(aval, value):
        if isinstance(aval, AVal):
            return Tensor._from_array(np.full(aval.shape, value, aval.dtype))
        if isinstance(aval, tuple):
            return tuple(_Gradient._fill(a, value) for a in aval)
        return Tensor._from_array(np.array(float(value)))

    def _structure(self, inputs, grads):
        if self.positions is not None and self.weights is not None:
            input_grads, weight_grads = grads
        elif self.positions is not None:
            input_grads, weight_grads = grads, None
        else:
            input_grads, weight_grads = None, grads
        picked = None
        if self.positions is not None:
            tensor_index = {}
            for i, a in enumerate(inputs):
                if isinstance(a, Tensor):
                    tensor_index[i] = len(tensor_index)
            picked = []
            for p in self.positions:
                if p >= len(inputs):
                    raise RuntimeError(f"Position index {p} is exceed input size.")
                if p not in tensor_index:
                    raise TypeError(f"For 'F.grad', the input at position {p} is a {type(inputs[p]).__name__}, "
                                    f"not a Tensor, so it has no gradient; remove it from grad_position")
                g = input_grads[tensor_index[p]]
                picked.append((p, g) if self.return_ids else g)
            picked = picked[0] if self.bare_position else tuple(picked)
        if weight_grads is not None:
            if self.return_ids:
                weight_grads = tuple((w.name, g) for w, g in zip(self.weights, weight_grads))
            if self.bare_weight:
                weight_grads = weight_grads[0]
        if picked is not None and weight_grads is not None:
            return picked, weight_grads
        return picked if picked is not None else weight_grads


def grad(fn, grad_position=0, weights=None, has_aux=False, return_ids=False, sens_param=False):
    """A function computing the gradient of `fn` (see the module docstring for its structure)."""
    return _Gradient(fn, grad_position, weights, has_aux, return_ids, sens_param, with_value=False)


def value_and_grad(fn, grad_position=0, weights=None, has_aux=False, return_ids=False, sens_param=False):
    """A function computing `(fn(*args), gradient)` from one compiled forward-and-backward run."""
    return _Gradient(fn, grad_position, weights, has_aux, return_ids, sens_param, with_value=True)
