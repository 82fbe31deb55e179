"""BatchNorm1d, BatchNorm2d and LayerNorm with MindSpore 2.10's signatures, defaults,
Parameter names and training/eval behaviour.

Batch norm while training (or with use_batch_statistics=True) normalises with the
batch's mean and biased variance (MindSpore's CPU kernel) and updates the moving
statistics, which are Parameters with requires_grad=False:
    moving = momentum * moving + (1 - momentum) * batch
by `ops.assign` in construct, as MindSpore's BatchNorm assigns them (in compiled code
the new values are written back after the call, see s2sgrad/state.py). Otherwise it
normalises with the moving statistics. Both are fused primitives (primitives_norm.py).
"""
from .. import dtype as mstype
from .. import ops
from ..common.initializer import initializer
from ..parameter import Parameter
from ..surface import spec
from .cell import Cell


class _BatchNormTrain(ops.Primitive):
    """(y, batch mean, batch variance) = batch_norm_train(x, gamma, beta)."""
    _spec = spec("batch_norm_train")


class _BatchNormInfer(ops.Primitive):
    _spec = spec("batch_norm_infer")


class _BatchNorm(Cell):
    ranks = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.9, affine=True, gamma_init="ones", beta_init="zeros",
                 moving_mean_init="zeros", moving_var_init="ones", use_batch_statistics=None, data_format="NCHW",
                 dtype=mstype.float32):
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"For '{name}', the 'num_features' must be positive int, but got {num_features}.")
        if isinstance(eps, bool) or not isinstance(eps, (int, float)):
            raise TypeError(f"For '{name}', the 'eps' must be float, but got {type(eps).__name__}.")
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"For '{name}', the 'momentum' must be a number in range [0, 1], but got {momentum}.")
        if use_batch_statistics is not None and not isinstance(use_batch_statistics, bool):
            raise ValueError(f"For '{name}', the 'use_batch_statistics' must be a bool or None, "
                             f"but got {use_batch_statistics}.")
        if data_format != "NCHW":
            raise ValueError(f"For '{name}', s2sgrad supports data_format 'NCHW' only, but got {data_format!r}.")
        self.num_features = num_features
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.affine = affine
        self.use_batch_statistics = use_batch_statistics
        shape = [num_features]
        self.moving_mean = Parameter(initializer(moving_mean_init, shape, dtype), name="mean", requires_grad=False)
        self.moving_variance = Parameter(initializer(moving_var_init, shape, dtype), name="variance",
                                         requires_grad=False)
        self.gamma = Parameter(initializer(gamma_init, shape, dtype), name="gamma", requires_grad=affine)
        self.beta = Parameter(initializer(beta_init, shape, dtype), name="beta", requires_grad=affine)
        self.bn_train = _BatchNormTrain(eps=self.eps, ranks=self.ranks)
        self.bn_infer = _BatchNormInfer(eps=self.eps, ranks=self.ranks)
        self.assign = ops.Assign()

    def construct(self, x):
        if self.use_batch_statistics or (self.use_batch_statistics is None and self.training):
            y, mean, var = self.bn_train(x, self.gamma, self.beta)
            self.assign(self.moving_mean, self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.assign(self.moving_variance, self.moving_variance * self.momentum + var * (1.0 - self.momentum))
            return y
        return self.bn_infer(x, self.gamma, self.beta, self.moving_mean, self.moving_variance)

    def extend_repr(self):
        return (f"num_features={self.num_features}, eps={self.eps}, momentum={self.momentum}, gamma={self.gamma}, "
                f"beta={self.beta}, moving_mean={self.moving_mean}, moving_variance={self.moving_variance}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over a 2-d input [N, C] or a 3-d input [N, C, L]."""
    ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over a 4-d input [N, C, H, W]."""
    ranks = (4,)


class LayerNorm(Cell):
    """Normalises over the axes from begin_norm_axis on; gamma and beta (shape
    normalized_shape) scale and shift the axes from begin_params_axis on. The same in
    training and eval. One fused primitive (ops.LayerNorm)."""

    def __init__(self, normalized_shape, begin_norm_axis=-1, begin_params_axis=-1, gamma_init="ones",
                 beta_init="zeros", epsilon=1e-7, dtype=mstype.float32):
        super().__init__()
        if not isinstance(normalized_shape, (tuple, list)):
            raise TypeError(f"For 'LayerNorm', the type of 'normalized_shape' must be tuple[int] or list[int], "
                            f"but got {normalized_shape} and the type is {type(normalized_shape)}.")
        for name, axis in (("begin_norm_axis", begin_norm_axis), ("begin_params_axis", begin_params_axis)):
            if isinstance(axis, bool) or not isinstance(axis, int):
                raise TypeError(f"For 'LayerNorm', the '{name}' must be int, but got {type(axis).__name__}.")
        if isinstance(epsilon, bool) or not isinstance(epsilon, float):
            raise TypeError(f"For 'LayerNorm', the 'epsilon' must be float, but got {type(epsilon).__name__}.")
        self.normalized_shape = normalized_shape
        self.begin_norm_axis = begin_norm_axis
        self.begin_params_axis = begin_params_axis
        self.epsilon = epsilon
        self.gamma = Parameter(initializer(gamma_init, normalized_shape, dtype), name="gamma")
        self.beta = Parameter(initializer(beta_init, normalized_shape, dtype), name="beta")
        self.layer_norm = ops.LayerNorm(begin_norm_axis=begin_norm_axis, begin_params_axis=begin_params_axis,
                                        epsilon=epsilon)

    def construct(self, input_x):
        y, _, _ = self.layer_norm(input_x, self.gamma, self.beta)
        return y

    def extend_repr(self):
        return (f"normalized_shape={self.normalized_shape}, begin_norm_axis={self.begin_norm_axis}, "
                f"begin_params_axis={self.begin_params_axis}, gamma{self.gamma}, beta={self.beta}")
