"""Optimizers with MindSpore 2.10's signatures, defaults and update formulas.

An optimizer is a Cell called with the gradient tuple (in `optimizer.parameters`
order); it updates the Parameters' arrays in place with one compiled Numba kernel
per optimizer, so the next compiled forward-and-backward reads the new values
without recompiling. Its state (moments, accumulators, beta powers, the learning
rate, the global step) lives in Parameters named as MindSpore names them
(`moment1.<param>`, `moments.<param>`, `accum.<param>`, `beta1_power`, ...), so a
checkpoint of the optimizer or of a TrainOneStepCell holds it.

Shared preprocessing (MindSpore's `Optimizer`): weight decay is stored multiplied by
`loss_scale`; `decay_weight` adds `wd * param` to the gradient (for parameters whose
name holds neither 'beta' nor 'gamma', or per group where the group's weight decay is
> 0); `scale_grad` multiplies the gradient by 1 / loss_scale. The arithmetic runs in
each parameter's dtype, with the hyper-parameters rounded to that dtype (MindSpore
keeps them as float32 tensors).
"""
from collections.abc import Iterable

import numba
import numpy as np

from ..parameter import Parameter, ParameterTuple
from ..tensor import Tensor
from .cell import Cell


# -- update kernels: one element loop each, in place on flat views -------------------

@numba.njit(cache=True)
def _sgd_kernel(param, grad, accum, stat, lr, momentum, dampening, weight_decay, nesterov):
    """MindSpore's SGD kernel: weight decay inside, `stat` marks the first step."""
    zero = param.dtype.type(0)
    one = param.dtype.type(1)
    for i in range(param.size):
        g = grad[i]
        if weight_decay > zero:
            g += param[i] * weight_decay
        if momentum > zero:
            if stat[i] > zero:
                accum[i] = g
                stat[i] = zero
            else:
                accum[i] = accum[i] * momentum + (one - dampening) * g
            if nesterov:
                g += accum[i] * momentum
            else:
                g = accum[i]
        param[i] -= lr * g


@numba.njit(cache=True)
def _momentum_kernel(param, grad, moment, lr, momentum, nesterov):
    """ApplyMomentum: v = v * u + g; p -= lr * (g + u * v) (Nesterov) or lr * v."""
    for i in range(param.size):
        moment[i] = moment[i] * momentum + grad[i]
        if nesterov:
            param[i] -= grad[i] * lr + moment[i] * momentum * lr
        else:
            param[i] -= lr * moment[i]


@numba.njit(cache=True)
def _adam_kernel(param, grad, m, v, beta1_power, beta2_power, lr, beta1, beta2, eps, nesterov):
    """MindSpore's Adam kernel: bias correction folded into the step size, eps added
    to sqrt(v)."""
    one = param.dtype.type(1)
    lr_t = lr * np.sqrt(one - beta2_power) / (one - beta1_power)
    for i in range(param.size):
        g = grad[i]
        m[i] += (g - m[i]) * (one - beta1)
        v[i] += (g * g - v[i]) * (one - beta2)
        if nesterov:
            param[i] -= lr_t * (m[i] * beta1 + (one - beta1) * g) / (np.sqrt(v[i]) + eps)
        else:
            param[i] -= lr_t * m[i] / (np.sqrt(v[i]) + eps)


@numba.njit(cache=True)
def _adam_weight_decay_kernel(param, grad, m, v, lr, beta1, beta2, eps, weight_decay):
    """AdamWeightDecay: no bias correction; the decay is added to the update."""
    one = param.dtype.type(1)
    for i in range(param.size):
        g = grad[i]
        m[i] = beta1 * m[i] + (one - beta1) * g
        v[i] = beta2 * v[i] + (one - beta2) * g * g
        update = m[i] / (eps + np.sqrt(v[i])) + weight_decay * param[i]
        param[i] -= lr * update


@numba.njit(cache=True)
def _adamw_kernel(param, grad, m, v, beta1_power, beta2_power, lr, beta1, beta2, eps, weight_decay):
    """Decoupled AdamW (mindspore.mint.optim.AdamW's update): p *= 1 - lr * wd, then
    a bias-corrected Adam step."""
    one = param.dtype.type(1)
    for i in range(param.size):
        g = grad[i]
        param[i] *= one - lr * weight_decay
        m[i] = beta1 * m[i] + (one - beta1) * g
        v[i] = beta2 * v[i] + (one - beta2) * g * g
        m_hat = m[i] / (one - beta1_power)
        v_hat = v[i] / (one - beta2_power)
        param[i] -= lr * m_hat / (np.sqrt(v_hat) + eps)


# -- the base class ----------------------------------------------------------------------

def _flat(arr):
    """A flat view of a C-contiguous array (Parameters hold their own contiguous copy)."""
    if not arr.flags.c_contiguous:
        raise ValueError("optimizer state must be C-contiguous")
    return arr.reshape(-1)


def _check_float(cls_name, name, value, low=None, low_inclusive=True, high=None):
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, float):
        raise TypeError(f"For '{cls_name}', the argument '{name}' must be float, but got {type(value)}.")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        bound = f"at least {low}" if low_inclusive else f"greater than {low}"
        raise ValueError(f"For '{cls_name}', the argument '{name}' must be {bound}, but got {value}.")
    if high is not None and value >= high:
        raise ValueError(f"For '{cls_name}', the argument '{name}' must be less than {high}, but got {value}.")
    return value


def _check_bool(cls_name, name, value):
    if not isinstance(value, bool):
        raise TypeError(f"For '{cls_name}', the argument '{name}' must be bool, but got {type(value)}.")
    return value


class Optimizer(Cell):
    """Base of the optimizers: parameter groups, learning rate (fixed or a per-step
    list), weight decay and loss scale, with MindSpore's validation."""

    def __init__(self, learning_rate, parameters, weight_decay=0.0, loss_scale=1.0):
        super().__init__(auto_prefix=False)
        cls_name = type(self).__name__
        if parameters is None:
            raise ValueError("For 'Optimizer', the argument parameters can not be None.")
        if not isinstance(parameters, Iterable):
            raise TypeError(f"For 'Optimizer', the argument parameters must be Iterable type, "
                            f"but got {type(parameters)}.")
        parameters = list(parameters)
        if not parameters:
            raise ValueError("For 'Optimizer', the argument parameters must not be empty.")
        if not (all(isinstance(p, Parameter) for p in parameters) or all(isinstance(p, dict) for p in parameters)):
            raise TypeError("For 'Optimizer', all elements of the argument 'parameters' must be 'Parameter' or "
                            "'dict', please check the 'parameters'.")
        self.loss_scale = _check_float(cls_name, "loss_scale", loss_scale, 0.0, low_inclusive=False)
        self.is_group = isinstance(parameters[0], dict)
        self.dynamic_lr = False
        default_lr = self._preprocess_lr(learning_rate, cls_name)
        default_wd = self._preprocess_weight_decay(weight_decay, cls_name)
        self.group_raw_weight_decay = None
        if self.is_group:
            params, lrs, wds = self._parse_groups(parameters, default_lr, weight_decay, cls_name)
            self.decay_flags = tuple(wd > 0.0 for wd in wds)
        else:
            params = parameters
            lrs = [self._lr_parameter(default_lr, "learning_rate")] * len(params)
            wds = [default_wd] * len(params)
            self.decay_flags = tuple("beta" not in p.name and "gamma" not in p.name for p in params)
        self.parameters = ParameterTuple(params)
        for p in self.parameters:           # as in MindSpore, the optimizer's parameters include them
            self._params.setdefault(p.name, p)
        self._lr_per_param = lrs
        self.weight_decay = tuple(wds) if self.is_group else default_wd
        self._wd_per_param = wds
        self.global_step = self._state(Parameter(Tensor(np.zeros([1], np.int32)), name="global_step",
                                                 requires_grad=False))
        for p in dict.fromkeys(lrs):       # each learning-rate Parameter once, in order
            self._state(p)

    # -- construction helpers
    def _state(self, param):
        """Register `param` as optimizer state (in checkpoints, never trained)."""
        if param.requires_grad:
            param.requires_grad = False
        self._params[param.name] = param
        return param

    def _clone_state(self, prefix, init):
        """One state Parameter per optimized Parameter: `<prefix>.<name>`, zeros or ones."""
        fill = np.zeros_like if init == "zeros" else np.ones_like
        return tuple(self._state(Parameter(Tensor(fill(p.asnumpy())), name=f"{prefix}.{p.name}",
                                           requires_grad=False)) for p in self.parameters)

    def _bias_corrected_moments(self):
        """Adam's state with MindSpore's names: beta1_power and beta2_power (the betas'
        products so far, for bias correction) and the two moments per Parameter."""
        self.beta1_power = self._state(Parameter(Tensor(np.float32(1.0)), name="beta1_power", requires_grad=False))
        self.beta2_power = self._state(Parameter(Tensor(np.float32(1.0)), name="beta2_power", requires_grad=False))
        self.moment1 = self._clone_state("moment1", "zeros")
        self.moment2 = self._clone_state("moment2", "zeros")

    def _advance_powers(self):
        self.beta1_power.asnumpy()[()] *= self.beta1
        self.beta2_power.asnumpy()[()] *= self.beta2

    def _preprocess_lr(self, learning_rate, cls_name):
        """float -> float; 0-d Tensor -> float32 scalar; a list or 1-d Tensor -> a per-step array."""
        if isinstance(learning_rate, bool):
            raise TypeError(f"For 'Optimizer', the argument 'learning_rate' must be int, float, Tensor, Iterable "
                            f"or LearningRateSchedule, but got {type(learning_rate)}.")
        if isinstance(learning_rate, (int, float)):
            learning_rate = float(learning_rate)
            if learning_rate < 0.0:
                raise ValueError(f"For '{cls_name}', the argument 'learning rate' must be at least 0.0, "
                                 f"but got {learning_rate}.")
            return np.float32(learning_rate)
        if isinstance(learning_rate, Tensor):
            arr = learning_rate.asnumpy()
            if arr.ndim == 0:
                return np.float32(arr)
            if arr.ndim > 1:
                raise ValueError(f"For 'Optimizer', if 'learning_rate' is Tensor type, then the dimension of it "
                                 f"should be 0 or 1, but got {arr.ndim}.")
            self.dynamic_lr = True
            return arr.astype(np.float32)
        if isinstance(learning_rate, Cell):
            raise TypeError("s2sgrad does not support LearningRateSchedule cells yet; pass a list or a 1-d Tensor "
                            "with one learning rate per step instead")
        if isinstance(learning_rate, Iterable):
            self.dynamic_lr = True
            return np.array(list(learning_rate)).astype(np.float32)
        raise TypeError(f"For 'Optimizer', the argument 'learning_rate' must be int, float, Tensor, Iterable or "
                        f"LearningRateSchedule, but got {type(learning_rate)}.")

    def _lr_parameter(self, lr, name):
        return Parameter(Tensor(np.asarray(lr, np.float32)), name=name, requires_grad=False)

    def _preprocess_weight_decay(self, weight_decay, cls_name):
        if isinstance(weight_decay, Cell):
            raise TypeError("s2sgrad does not support a dynamic weight decay (a Cell); pass a float")
        if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float)):
            raise TypeError(f"For 'Optimizer', the argument 'Weight_decay' must be int, float or Cell.but got "
                            f"{type(weight_decay)}")
        weight_decay = float(weight_decay)
        if weight_decay < 0.0:
            raise ValueError(f"For '{cls_name}', the argument 'weight_decay' must be at least 0.0, "
                             f"but got {weight_decay}.")
        return weight_decay * self.loss_scale

    def _parse_groups(self, groups, default_lr, weight_decay, cls_name):
        keys = ["params", "lr", "weight_decay", "order_params", "grad_centralization"]
        params, lrs, wds, order = [], [], [], None
        default_lr_param = self._lr_parameter(default_lr, "learning_rate")
        for i, group in enumerate(groups):
            bad = [k for k in group if k not in keys]
            if bad:
                raise KeyError(f"For 'Optimizer', the key in group params must be one of in {keys}, but got {bad}.")
            if "order_params" in group:
                if len(group) > 1:
                    raise ValueError(f"For 'Optimizer', the order params dict in group parameters should only "
                                     f"include the 'order_params' key, but got {group.keys()}.")
                order = list(group["order_params"])
                continue
            if group.get("grad_centralization", False):
                raise ValueError("s2sgrad does not support grad_centralization (it applies to convolution "
                                 "layers); remove the key or set it to False")
            members = list(group["params"])
            if not members:
                raise ValueError("For 'Optimizer', the argument group `params` must not be empty.")
            if "lr" in group:
                lr = self._lr_parameter(self._preprocess_lr(group["lr"], cls_name), f"learning_rate_group_{i}")
            else:
                lr = default_lr_param
            wd = self._preprocess_weight_decay(group.get("weight_decay", weight_decay), cls_name)
            for j, p in enumerate(members):
                if not isinstance(p, Parameter):
                    raise TypeError(f"For 'Optimizer', the element in group parameters must be Parameter type, "
                                    f"but got {type(p)} at index {j}.")
                if any(q.name == p.name for q in params):
                    raise RuntimeError(f"For 'Optimizer', the {p.name} parameter already exists, it does not support "
                                       f"repeated setting. Please check whether the optimizer parameter has been "
                                       f"set multiple times.")
                params.append(p)
                lrs.append(lr)
                wds.append(wd)
        if order is not None:
            if len(order) != len(params):
                raise ValueError(f"For 'Optimizer',the length of order parameters must be the same as the length of "
                                 f"group parameters, but got order parameters' length {len(order)}, group "
                                 f"parameters' length {len(params)}.")
            index = [next(i for i, p in enumerate(params) if p.name == q.name) for q in order]
            params, lrs, wds = [params[i] for i in index], [lrs[i] for i in index], [wds[i] for i in index]
        return params, lrs, wds

    # -- the step
    @property
    def learning_rate(self):
        """The learning-rate Parameter (the first group's when grouped)."""
        return self._lr_per_param[0]

    def get_lr(self):
        """This step's learning rate per parameter (as float32); advances the global step
        when the rate is a schedule, as MindSpore does."""
        step = int(self.global_step.asnumpy()[0])
        lrs = []
        for lr in self._lr_per_param:
            arr = lr.asnumpy()
            if arr.ndim == 0:
                lrs.append(np.float32(arr))
            elif step < arr.size:
                lrs.append(np.float32(arr[step]))
            else:
                raise ValueError(f"For '{type(self).__name__}', the learning-rate schedule '{lr.name}' has "
                                 f"{arr.size} steps and step {step + 1} was asked for; give a longer schedule")
        if self.dynamic_lr:
            self.global_step.asnumpy()[0] += 1
        return lrs

    def _gradients(self, gradients):
        """The gradients as arrays of their parameter's dtype, checked against the parameters."""
        if isinstance(gradients, Tensor):
            gradients = (gradients,)
        if not isinstance(gradients, (tuple, list)):
            raise TypeError(f"For '{type(self).__name__}', the gradients must be a tuple of Tensors, "
                            f"but got {type(gradients).__name__}.")
        if len(gradients) != len(self.parameters):
            raise ValueError(f"For '{type(self).__name__}', got {len(gradients)} gradients for "
                             f"{len(self.parameters)} parameters; pass one gradient per parameter, in "
                             f"optimizer.parameters order")
        out = []
        for p, g in zip(self.parameters, gradients):
            arr = np.asarray(g.asnumpy() if isinstance(g, Tensor) else g)
            if arr.shape != p.shape:
                raise ValueError(f"For '{type(self).__name__}', the gradient of parameter '{p.name}' has shape "
                                 f"{arr.shape}, but the parameter has shape {p.shape}.")
            out.append(_flat(np.ascontiguousarray(arr, dtype=p.asnumpy().dtype)))
        return out

    def decay_and_scale(self, param, grad, index):
        """MindSpore's decay_weight then scale_grad, on one flat gradient (a new array)."""
        dtype = grad.dtype.type
        wd = self._wd_per_param[index]
        if wd > 0.0 and self.decay_flags[index]:
            grad = grad + param * dtype(wd)
        if self.loss_scale != 1.0:
            grad = grad * dtype(1.0 / self.loss_scale)
        return grad

    def __call__(self, gradients):
        return self.construct(gradients)

    def construct(self, gradients):
        grads = self._gradients(gradients)
        lrs = self.get_lr()
        self.apply(grads, lrs)
        return tuple(Tensor(np.array(True)) for _ in grads)

    def apply(self, grads, lrs):
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and dampening.
    Weight decay is applied inside the kernel to every parameter."""

    def __init__(self, params, learning_rate=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 loss_scale=1.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        momentum = _check_float("SGD", "momentum", momentum, 0.0)
        dampening = _check_float("SGD", "dampening", dampening, 0.0)
        self.dampening = dampening
        self.nesterov = _check_bool("SGD", "nesterov", nesterov)
        if nesterov and (momentum <= 0.0 or dampening != 0.0):
            raise ValueError(f"For 'SGD', if 'nesterov' is true, 'momentum' must be > 0.0 and 'dampening' must "
                             f"equal to 0.0, but got 'momentum' {momentum}, 'dampening' {dampening}")
        # MindSpore passes the raw weight decay to its SGD kernel (groups: the loss-scaled one)
        raw = float(weight_decay)
        self._sgd_weight_decay = list(self._wd_per_param) if self.is_group else [raw] * len(self.parameters)
        self.momentum = self._state(Parameter(Tensor(np.float32(momentum)), name="momentum", requires_grad=False))
        self.accum = self._clone_state("accum", "zeros")
        self.stat = self._clone_state("stat", "ones")

    def apply(self, grads, lrs):
        for i, (p, g) in enumerate(zip(self.parameters, grads)):
            param = _flat(p.asnumpy())
            t = param.dtype.type
            if self.loss_scale != 1.0:
                g = g * t(1.0 / self.loss_scale)
            _sgd_kernel(param, g, _flat(self.accum[i].asnumpy()), _flat(self.stat[i].asnumpy()), t(lrs[i]),
                        t(self.momentum.asnumpy()), t(self.dampening), t(self._sgd_weight_decay[i]), self.nesterov)


class Momentum(Optimizer):
    """Momentum: v = v * momentum + g; p -= lr * v (or the Nesterov form)."""

    def __init__(self, params, learning_rate, momentum, weight_decay=0.0, loss_scale=1.0, use_nesterov=False):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        if not isinstance(momentum, float):
            raise TypeError(f"For 'Momentum', the argument 'momentum' must be float, but got {type(momentum)}.")
        if momentum < 0.0:
            raise ValueError(f"For 'Momentum', the argument 'momentum' must be at least 0.0, but got {momentum}")
        self.use_nesterov = _check_bool("Momentum", "use_nesterov", use_nesterov)
        self.momentum = self._state(Parameter(Tensor(np.float32(momentum)), name="momentum", requires_grad=False))
        self.moments = self._clone_state("moments", "zeros")

    def apply(self, grads, lrs):
        for i, (p, g) in enumerate(zip(self.parameters, grads)):
            param = _flat(p.asnumpy())
            t = param.dtype.type
            g = self.decay_and_scale(param, g, i)
            _momentum_kernel(param, g, _flat(self.moments[i].asnumpy()), t(lrs[i]), t(self.momentum.asnumpy()),
                             self.use_nesterov)


def _check_adam_args(cls_name, beta1, beta2, eps):
    beta1 = _check_float(cls_name, "beta1", beta1, 0.0, low_inclusive=False, high=1.0)
    beta2 = _check_float(cls_name, "beta2", beta2, 0.0, low_inclusive=False, high=1.0)
    eps = _check_float(cls_name, "eps", eps, 0.0, low_inclusive=False)
    return np.float32(beta1), np.float32(beta2), np.float32(eps)


class Adam(Optimizer):
    """Adam as MindSpore's kernel computes it: beta powers advance first, then
    lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t), m += (g - m)(1 - beta1),
    v += (g^2 - v)(1 - beta2), p -= lr_t * m / (sqrt(v) + eps). Weight decay is L2
    (added to the gradient)."""

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, use_locking=False,
                 use_nesterov=False, weight_decay=0.0, loss_scale=1.0, use_amsgrad=False, **kwargs):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self.beta1, self.beta2, self.eps = _check_adam_args("Adam", beta1, beta2, eps)
        self.use_locking = _check_bool("Adam", "use_locking", use_locking)
        self.use_nesterov = _check_bool("Adam", "use_nesterov", use_nesterov)
        if _check_bool("Adam", "use_amsgrad", use_amsgrad):
            raise ValueError("s2sgrad's Adam does not support use_amsgrad=True yet")
        for key, value in kwargs.items():
            if key not in ("use_lazy", "use_offload"):
                raise TypeError(f"Adam got an unexpected keyword argument '{key}'")
            if _check_bool("Adam", key, value):
                raise ValueError(f"s2sgrad's Adam does not support {key}=True (a sparse / device-offload variant)")
        self._bias_corrected_moments()

    def apply(self, grads, lrs):
        self._advance_powers()
        for i, (p, g) in enumerate(zip(self.parameters, grads)):
            param = _flat(p.asnumpy())
            t = param.dtype.type
            g = self.decay_and_scale(param, g, i)
            _adam_kernel(param, g, _flat(self.moment1[i].asnumpy()), _flat(self.moment2[i].asnumpy()),
                         t(self.beta1_power.asnumpy()), t(self.beta2_power.asnumpy()), t(lrs[i]), t(self.beta1),
                         t(self.beta2), t(self.eps), self.use_nesterov)


class AdamWeightDecay(Optimizer):
    """MindSpore's AdamWeightDecay: m, v moving averages without bias correction,
    p -= lr * (m / (eps + sqrt(v)) + wd * p). No loss_scale argument."""

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        self.beta1, self.beta2, self.eps = _check_adam_args("AdamWeightDecay", beta1, beta2, eps)
        self.moments1 = self._clone_state("adam_m", "zeros")
        self.moments2 = self._clone_state("adam_v", "zeros")

    def apply(self, grads, lrs):
        for i, (p, g) in enumerate(zip(self.parameters, grads)):
            param = _flat(p.asnumpy())
            t = param.dtype.type
            wd = self._wd_per_param[i] if self.decay_flags[i] else 0.0
            _adam_weight_decay_kernel(param, g, _flat(self.moments1[i].asnumpy()), _flat(self.moments2[i].asnumpy()),
                                      t(lrs[i]), t(self.beta1), t(self.beta2), t(self.eps), t(wd))


class AdamW(Optimizer):
    """Adam with decoupled weight decay. MindSpore 2.10's `nn` has no AdamW (its nn
    optimizer is AdamWeightDecay; mindspore.mint.optim.AdamW has a PyTorch-style
    signature); this one takes nn-style arguments and applies mint.optim.AdamW's update:
    p *= 1 - lr * wd; m, v moving averages; p -= lr * m_hat / (sqrt(v_hat) + eps)."""

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        self.beta1, self.beta2, self.eps = _check_adam_args("AdamW", beta1, beta2, eps)
        self._bias_corrected_moments()

    def apply(self, grads, lrs):
        self._advance_powers()
        for i, (p, g) in enumerate(zip(self.parameters, grads)):
            param = _flat(p.asnumpy())
            t = param.dtype.type
            wd = self._wd_per_param[i] if self.decay_flags[i] else 0.0
            _adamw_kernel(param, g, _flat(self.moment1[i].asnumpy()), _flat(self.moment2[i].asnumpy()),
                          t(self.beta1_power.asnumpy()), t(self.beta2_power.asnumpy()), t(lrs[i]), t(self.beta1),
                          t(self.beta2), t(self.eps), t(wd))
