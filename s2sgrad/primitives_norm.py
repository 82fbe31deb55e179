"""Rows of the primitive table for GELU, dropout, batch norm, layer norm and Parameter
assignment (the layers in `nn/activation.py`, `nn/normalization.py`, `nn/dropout.py`).

Batch norm and layer norm are fused primitives: one pass computes the statistics and
the output, and the backward primitives (non-differentiable, `differentiable=False`,
like einsum's) compute each operand's gradient in one or two passes instead of the
dozen temporaries a composition would allocate. Their adjoints (templates/norm_ops.py)
include the paths through the mean and variance outputs, so any use of them is exact.

`assign` is MindSpore's Assign: the only primitive with a side effect. Eagerly it writes
into the Parameter's array; in compiled code `resolve` turns it into a state update
(see `s2sgrad/state.py`), so it never reaches generated code.
"""
import numpy as np

from . import kernels_norm as K
from . import nodes as N
from .primitives import AVal, RuleError, aval_of, one_axis, primitive, same_rule, static_shape


def float_operand(x, what, name="input"):
    if not isinstance(x, AVal) or not np.issubdtype(x.dtype, np.floating):
        raise RuleError(f"{what} needs a float tensor as its {name}, got {x!r}")
    return static_shape(x, what)


def same_dtype(what, x, *others):
    for o in others:
        if not isinstance(o, AVal) or o.dtype != x.dtype:
            raise RuleError(f"{what}: every operand must have the input's dtype {x.dtype}, got {o!r}")


# -- GELU ---------------------------------------------------------------------------------

def gelu_rule(x, approximate):
    if not float_operand(x, "GeLU"):
        raise RuleError("GeLU needs a tensor of at least 1 dimension")
    return x


gelu = primitive("gelu", 1, gelu_rule, attrs=("approximate",),
                 eager=lambda x, approximate: K.gelu(np.asarray(x), approximate))
gelu_grad = primitive("gelu_grad", 2, lambda g, x, approximate: same_rule(g), attrs=("approximate",),
                      eager=K.gelu_grad, differentiable=False)


# -- dropout ---------------------------------------------------------------------------

def dropout_rule(x, keep_prob):
    float_operand(x, "Dropout")
    if not 0 < keep_prob <= 1:
        raise RuleError(f"Dropout: keep_prob must be in (0, 1], got {keep_prob}")
    return x, x


def _eager_dropout(x, keep_prob):
    """The kernel's draws, vectorised: one uniform per element in C order."""
    x = np.asarray(x)
    keep = np.random.random(x.size).reshape(x.shape) < keep_prob
    mask = keep.astype(x.dtype)
    return x * mask * x.dtype.type(1.0 / keep_prob), mask


dropout = primitive("dropout", 1, dropout_rule, attrs=("keep_prob",), n_out=2, eager=_eager_dropout)
dropout_grad = primitive("dropout_grad", 2, lambda g, mask, keep_prob: same_rule(g), attrs=("keep_prob",),
                         eager=K.dropout_grad, differentiable=False)


# -- batch norm ------------------------------------------------------------------------

def channels(x, ranks, what, *params):
    """x [N, C, ...] of one of `ranks` dimensions (BatchNorm1d: 2 or 3, BatchNorm2d: 4)
    and parameters of shape [C] of x's dtype."""
    shape = float_operand(x, what)
    if len(shape) < 2 or len(shape) not in ranks:
        raise RuleError(f"{what}: the input must have {' or '.join(map(str, ranks))} dimensions [N, C, ...], "
                        f"got shape {list(shape)}")
    for p in params:
        if not isinstance(p, AVal) or p.shape != shape[1:2]:
            raise RuleError(f"{what}: gamma, beta and the statistics must have shape [C] = {list(shape[1:2])} "
                            f"for an input of shape {list(shape)}, got {p!r}")
    same_dtype(what, x, *params)
    return shape


def batch_norm_train_rule(x, gamma, beta, eps, ranks):
    shape = channels(x, ranks, "BatchNorm", gamma, beta)
    stat = AVal(x.dtype, shape[1:2])
    return x, stat, stat


def batch_norm_infer_rule(x, gamma, beta, mean, var, eps, ranks):
    channels(x, ranks, "BatchNorm", gamma, beta, mean, var)
    return x


def checked(rule, kernel):
    """The eager form: the shape rule's refusal as MindSpore's ValueError, then the
    kernel without the `ranks` attribute (a check only)."""
    def run(*args):
        try:
            rule(*[aval_of(a) for a in args[:-2]], *args[-2:])
        except RuleError as exc:
            raise ValueError(str(exc)) from None
        return kernel(*[np.asarray(a) for a in args[:-2]], args[-2])
    return run


batch_norm_train = primitive("batch_norm_train", 3, batch_norm_train_rule, attrs=("eps", "ranks"), n_out=3,
                             lower=lambda a, an, av, at: N.call("batch_norm_train", *a, N.const(float(at["eps"]))),
                             eager=checked(batch_norm_train_rule, K.batch_norm_train))
batch_norm_infer = primitive("batch_norm_infer", 5, batch_norm_infer_rule, attrs=("eps", "ranks"),
                             lower=lambda a, an, av, at: N.call("batch_norm_infer", *a, N.const(float(at["eps"]))),
                             eager=checked(batch_norm_infer_rule, K.batch_norm_infer))
batch_norm_train_dx = primitive("batch_norm_train_dx", 7, lambda dy, *rest: same_rule(dy), attrs=("eps",),
                                eager=K.batch_norm_train_dx, differentiable=False)
batch_norm_infer_dx = primitive("batch_norm_infer_dx", 3, lambda dy, *rest: same_rule(dy), attrs=("eps",),
                                eager=K.batch_norm_infer_dx, differentiable=False)
batch_norm_dgamma = primitive("batch_norm_dgamma", 4, lambda dy, x, mean, var, eps: same_rule(mean),
                              attrs=("eps",), eager=K.batch_norm_dgamma, differentiable=False)
batch_norm_dbeta = primitive("batch_norm_dbeta", 1, lambda dy: AVal(dy.dtype, dy.shape[1:2]),
                             eager=K.batch_norm_dbeta, differentiable=False)


# -- layer norm ------------------------------------------------------------------------

def layer_norm_rule(x, gamma, beta, begin_norm_axis, begin_params_axis, epsilon):
    """MindSpore's LayerNorm: normalise over the axes from begin_norm_axis on; gamma and
    beta have the shape of x's axes from begin_params_axis on. Mean and variance keep
    x's rank, with 1 on the normalised axes."""
    shape = float_operand(x, "LayerNorm")
    if not shape:
        raise RuleError("LayerNorm needs an input of at least 1 dimension")
    b = one_axis(begin_norm_axis, len(shape), "LayerNorm begin_norm_axis")
    bp = one_axis(begin_params_axis, len(shape), "LayerNorm begin_params_axis")
    for name, p in (("gamma", gamma), ("beta", beta)):
        if not isinstance(p, AVal) or p.shape != shape[bp:]:
            raise RuleError(f"LayerNorm: {name} must have the shape of the input's axes from begin_params_axis "
                            f"({list(shape[bp:])} for input {list(shape)}), got {p!r}")
    same_dtype("LayerNorm", x, gamma, beta)
    stat = AVal(x.dtype, shape[:b] + (1,) * (len(shape) - b))
    return x, stat, stat


def lower_layer_norm(args, attr_nodes, avals, attrs):
    stat = layer_norm_rule(*avals, attrs["begin_norm_axis"], attrs["begin_params_axis"], attrs["epsilon"])[1]
    return N.call("layer_norm", *args, N.literal(stat.shape), N.const(float(attrs["epsilon"])))


def _eager_layer_norm(x, gamma, beta, begin_norm_axis, begin_params_axis, epsilon):
    x = np.asarray(x)
    try:
        stat = layer_norm_rule(aval_of(x), aval_of(gamma), aval_of(beta), begin_norm_axis, begin_params_axis,
                               epsilon)[1]
    except RuleError as exc:
        raise ValueError(str(exc)) from None
    return K.layer_norm(x, np.asarray(gamma), np.asarray(beta), stat.shape, float(epsilon))


layer_norm = primitive("layer_norm", 3, layer_norm_rule, attrs=("begin_norm_axis", "begin_params_axis", "epsilon"),
                       n_out=3, lower=lower_layer_norm, eager=_eager_layer_norm)
layer_norm_dx = primitive("layer_norm_dx", 7, lambda dy, *rest: same_rule(dy), attrs=("epsilon",),
                          eager=K.layer_norm_dx, differentiable=False)
layer_norm_dgamma = primitive("layer_norm_dgamma", 5, lambda dy, x, mean, var, gamma, eps: same_rule(gamma),
                              attrs=("epsilon",), eager=K.layer_norm_dgamma, differentiable=False)
layer_norm_dbeta = primitive("layer_norm_dbeta", 2, lambda dy, gamma: same_rule(gamma),
                             eager=K.layer_norm_dbeta, differentiable=False)


# -- Parameter assignment ----------------------------------------------------------------

def _eager_assign(variable, value):
    """Write `value` into `variable`'s array (a Parameter's own array, passed by
    `ops.assign`), as MindSpore's Assign updates the Parameter in place."""
    np.copyto(variable, np.asarray(value), casting="same_kind")
    return variable


assign = primitive("assign", 2, lambda variable, value: same_rule(variable), eager=_eager_assign,
                   differentiable=False)
