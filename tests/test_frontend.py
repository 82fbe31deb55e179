"""The MindSpore-compatible front end run eagerly (PYNATIVE-style, no gradients):
Tensor, dtypes, Parameter, ParameterTuple, Cell, nn layers and losses, and every
ops primitive and functional form, each against NumPy and against MindSpore 2.10's
documented behaviour (shared/reference/mindspore-2.10-semantics.md, sections 4-5)."""
import re

import numpy as np
import pytest

import s2sgrad as ms
from s2sgrad import nn, ops, Tensor, Parameter, ParameterTuple

F32, F64, I32, I64 = np.float32, np.float64, np.int32, np.int64


# --- helpers --------------------------------------------------------------------

def rand(*shape, seed=0, positive=False, dtype=F32):
    x = np.random.default_rng(seed).standard_normal(shape)
    return (np.abs(x) + 0.5 if positive else x).astype(dtype)


def check(out, expected, dtype=None, rtol=1e-5, atol=1e-6):
    """`out` is a Tensor with `expected`'s values and shape, of `dtype`
    (default: `expected`'s own dtype)."""
    expected = np.asarray(expected)
    assert isinstance(out, Tensor), f"expected a Tensor, got {type(out).__name__}"
    assert out.shape == expected.shape
    want = ms.dtype.from_numpy(expected.dtype if dtype is None else dtype)
    assert out.dtype == want, f"dtype {out.dtype}, expected {want}"
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=rtol, atol=atol)


def np_log_softmax(x):
    x = np.asarray(x, F64)
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def np_softmax(x):
    return np.exp(np_log_softmax(x))


def np_one_hot(labels, depth):
    return np.eye(depth)[labels]


def weight(shape, name=None, value=1.0, **kw):
    return Parameter(Tensor(np.full(shape, value, F32)), name=name, **kw)


# --- Tensor: construction and attributes -------------------------------------------

@pytest.mark.parametrize("data, dtype, shape", [
    (np.zeros((2, 3), F32), ms.float32, (2, 3)),
    (np.zeros(4, F64), ms.float64, (4,)),
    (np.zeros((1, 2), I32), ms.int32, (1, 2)),
    (np.array([True, False]), ms.bool_, (2,)),
    (1.5, ms.float32, ()),
    (3, ms.int64, ()),
    (True, ms.bool_, ()),
    ([1.0, 2.0], ms.float32, (2,)),
    ([[1, 2], [3, 4]], ms.int64, (2, 2)),
])
def test_tensor_construction_infers_mindspore_dtype(data, dtype, shape):
    t = Tensor(data)
    assert t.dtype == dtype
    assert t.shape == shape and isinstance(t.shape, tuple)
    assert isinstance(t.asnumpy(), np.ndarray)
    np.testing.assert_array_equal(t.asnumpy(), np.asarray(data))


def test_tensor_construction_with_explicit_dtype_casts():
    t = Tensor(np.array([1, 2]), ms.float64)
    assert t.dtype == ms.float64 and t.asnumpy().dtype == F64
    assert Tensor(2, ms.float32).dtype == ms.float32


def test_tensor_dtype_prints_as_mindspore_name():
    assert str(Tensor(np.zeros(1, F32)).dtype) == "Float32"
    assert repr(Tensor(np.zeros(1, F64)).dtype) == "Float64"
    assert str(Tensor(3).dtype) == "Int64"
    assert str(Tensor(True).dtype) == "Bool"


def test_tensor_ndim_and_size():
    t = Tensor(np.zeros((2, 3, 4), F32))
    assert t.ndim == 3 and t.size == 24
    s = Tensor(1.0)
    assert s.ndim == 0 and s.size == 1 and s.shape == ()


def test_tensor_str_is_str_of_asnumpy():
    t = Tensor(rand(3, 4))
    assert str(t) == str(t.asnumpy())
    assert str(Tensor(2.5)) == str(np.array(2.5, F32))


def test_tensor_repr_end_to_end():
    t = Tensor(np.array([[1.0, -2.0], [0.5, 0.0]], F32))
    assert repr(t) == ("Tensor(shape=[2, 2], dtype=Float32, value=\n"
                       "[[ 1.00000000e+00, -2.00000000e+00],\n"
                       " [ 5.00000000e-01,  0.00000000e+00]])")
    assert repr(Tensor(2.0)) == "Tensor(shape=[], dtype=Float32, value= 2)"


# --- Tensor: Python operators --------------------------------------------------------

A = rand(2, 3, seed=1, positive=True)
B = rand(2, 3, seed=2, positive=True)

BINARY_OPERATORS = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "truediv": lambda x, y: x / y,
    "pow": lambda x, y: x ** y,
}


@pytest.mark.parametrize("op", BINARY_OPERATORS, ids=str)
def test_operator_tensor_with_tensor_float32(op):
    f = BINARY_OPERATORS[op]
    check(f(Tensor(A), Tensor(B)), f(A, B), F32)


@pytest.mark.parametrize("op", BINARY_OPERATORS, ids=str)
@pytest.mark.parametrize("side", ["tensor_left", "scalar_left"])
def test_operator_with_python_float_stays_float32(op, side):
    f = BINARY_OPERATORS[op]
    if side == "tensor_left":
        out, expected = f(Tensor(A), 2.0), f(A, F32(2.0))
    else:
        out, expected = f(2.0, Tensor(A)), f(F32(2.0), A)
    check(out, expected, F32)


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("np_dtype", [I32, I64])
def test_operator_int_tensor_with_python_int_keeps_int_dtype(op, np_dtype):
    f = BINARY_OPERATORS[op]
    x = np.array([1, -2, 3], np_dtype)
    check(f(Tensor(x), 2), f(x, np_dtype(2)), np_dtype)
    check(f(2, Tensor(x)), f(np_dtype(2), x), np_dtype)


@pytest.mark.parametrize("np_dtype", [I32, I64])
def test_operator_floordiv_and_mod_of_ints_like_numpy(np_dtype):
    x = np.array([7, -8, 9], np_dtype)
    check(Tensor(x) // 2, x // np_dtype(2), np_dtype)
    check(20 // Tensor(x), np_dtype(20) // x, np_dtype)
    check(Tensor(x) % 3, x % np_dtype(3), np_dtype)
    check(20 % Tensor(x), np_dtype(20) % x, np_dtype)
    check(Tensor(A) // 0.3, A // F32(0.3), F32)


def test_operator_broadcasts_like_numpy():
    x, b = rand(2, 3, seed=3), rand(3, seed=4)
    check(Tensor(x) + Tensor(b), x + b, F32)
    check(Tensor(x) * Tensor(b[None, :]), x * b, F32)


def test_operator_matmul():
    x, w = rand(2, 3, seed=5), rand(3, 4, seed=6)
    check(Tensor(x) @ Tensor(w), x @ w, F32, rtol=1e-5)


def test_operator_unary_neg_keeps_dtype():
    check(-Tensor(A), -A, F32)
    check(-Tensor(np.array([1, -2], I32)), np.array([-1, 2], I32))


COMPARISONS = {
    "gt": lambda x, y: x > y, "lt": lambda x, y: x < y, "ge": lambda x, y: x >= y,
    "le": lambda x, y: x <= y, "eq": lambda x, y: x == y, "ne": lambda x, y: x != y,
}


@pytest.mark.parametrize("op", COMPARISONS, ids=str)
def test_comparison_gives_bool_tensor(op):
    f = COMPARISONS[op]
    x = np.array([1.0, 2.0, 3.0], F32)
    y = np.array([3.0, 2.0, 1.0], F32)
    check(f(Tensor(x), Tensor(y)), f(x, y), np.bool_)
    check(f(Tensor(x), 2.0), f(x, F32(2.0)), np.bool_)
    check(f(2.0, Tensor(x)), f(F32(2.0), x), np.bool_)


# --- Tensor: methods --------------------------------------------------------------

X23 = np.arange(6, dtype=F32).reshape(2, 3)


def test_tensor_sum_over_axis_and_all():
    check(Tensor(X23).sum(1), X23.sum(1))
    check(Tensor(X23).sum(0), X23.sum(0))
    check(Tensor(X23).sum(), X23.sum())


def test_tensor_mean_of_all_elements_is_0d_float32():
    check(Tensor(X23).mean(), np.array(X23.mean(), F32))


@pytest.mark.parametrize("call", [lambda t: t.reshape(3, 2), lambda t: t.reshape((3, 2))],
                         ids=["varargs", "tuple"])
def test_tensor_reshape_varargs_and_tuple(call):
    check(call(Tensor(X23)), X23.reshape(3, 2))


def test_tensor_transpose_and_T_reverse_axes():
    x = rand(2, 3, 4, seed=7)
    check(Tensor(x).transpose(), x.transpose())
    check(Tensor(x).transpose(0, 2, 1), x.transpose(0, 2, 1))
    check(Tensor(X23).T, X23.T)


def test_tensor_astype_float64():
    out = Tensor(X23).astype(ms.float64)
    check(out, X23.astype(F64), F64)


# --- dtype module -------------------------------------------------------------------

def test_dtype_repr_and_equality():
    assert repr(ms.float32) == "Float32" and str(ms.float32) == "Float32"
    assert repr(ms.int64) == "Int64" and repr(ms.bool_) == "Bool"
    assert ms.float32 == ms.dtype.float32
    assert ms.float32 != ms.float64
    assert ms.float32 != ms.int32
    assert {ms.float32: 1}[ms.dtype.float32] == 1


@pytest.mark.parametrize("np_dtype, ms_dtype", [
    (np.float32, ms.float32), (np.dtype("float64"), ms.float64), (np.float16, ms.float16),
    (np.int32, ms.int32), (np.int64, ms.int64), (np.int8, ms.int8), (np.uint8, ms.uint8),
    (np.bool_, ms.bool_),
])
def test_dtype_from_numpy(np_dtype, ms_dtype):
    assert ms.dtype.from_numpy(np_dtype) == ms_dtype


# --- Parameter ------------------------------------------------------------------------

def test_parameter_name_and_requires_grad():
    p = weight((2, 2), "w")
    assert p.name == "w" and p.requires_grad is True
    assert isinstance(p, Tensor)
    assert not weight((2,), "f", requires_grad=False).requires_grad


def test_parameter_without_name_gets_unique_auto_name():
    p, q = weight((2,)), weight((2,))
    assert re.fullmatch(r"Parameter#\d+", p.name)
    assert re.fullmatch(r"Parameter#\d+", q.name)
    assert p.name != q.name


def test_parameter_repr_and_str():
    p = weight((2, 2), "w")
    expected = "Parameter (name=w, shape=(2, 2), dtype=Float32, requires_grad=True)"
    assert repr(p) == expected and str(p) == expected


def test_parameter_set_data_keeps_dtype():
    p = weight((2, 2), "w")
    new = np.array([[1, 2], [3, 4]], np.float16)
    assert p.set_data(Tensor(new)) is p
    check(p, new.astype(F32), F32)
    p.set_data(Tensor(np.array([[5, 6], [7, 8]], I32)))
    check(p, np.array([[5, 6], [7, 8]], F32), F32)


# --- ParameterTuple ------------------------------------------------------------------

@pytest.mark.parametrize("container", [list, tuple])
def test_parameter_tuple_rejects_non_parameter_naming_the_iterable_type(container):
    items = container([weight((1,), "a"), Tensor(np.ones(1, F32))])
    with pytest.raises(TypeError) as info:
        ParameterTuple(items)
    assert str(info.value) == ("For ParameterTuple initialization, ParameterTuple input should be "
                               f"'Parameter' collection, but got a {type(items)}. ")


def test_parameter_tuple_rejects_duplicate_name_on_different_objects():
    with pytest.raises(ValueError) as info:
        ParameterTuple([weight((1,), "x"), weight((2,), "x")])
    assert "its name 'x' already exists. Please set a unique name for the parameter." in str(info.value)


def test_parameter_tuple_allows_same_object_twice():
    p = weight((1,), "x")
    pt = ParameterTuple([p, p])
    assert isinstance(pt, tuple) and len(pt) == 2 and pt[0] is pt[1] is p


# --- Cell --------------------------------------------------------------------------------

class Inner(nn.Cell):
    def __init__(self):
        super().__init__()
        self.scale = Parameter(Tensor(np.ones(2, F32)))       # unnamed: takes "scale"

    def construct(self, x):
        return x * self.scale


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = weight((2, 2), "w")
        self.l1 = nn.Dense(2, 2)
        self.frozen = weight((2,), "frozen", requires_grad=False)
        self.seq = nn.SequentialCell([nn.Dense(2, 3), nn.ReLU(), nn.Dense(3, 2)])
        self.inner = Inner()
        self.gamma = Parameter(Tensor(np.ones(2, F32)))       # unnamed: takes "gamma"

    def construct(self, x):
        return self.inner(self.seq(self.l1(ops.matmul(x, self.w)))) * self.gamma + self.frozen


ALL_NAMES = ["w", "frozen", "gamma", "l1.weight", "l1.bias", "seq.0.weight", "seq.0.bias",
             "seq.2.weight", "seq.2.bias", "inner.scale"]


def test_cell_get_parameters_in_definition_order_with_prefixed_names():
    assert [p.name for p in Net().get_parameters()] == ALL_NAMES


def test_cell_trainable_params_excludes_requires_grad_false():
    net = Net()
    assert [p.name for p in net.trainable_params()] == [n for n in ALL_NAMES if n != "frozen"]
    assert "frozen" in [p.name for p in net.get_parameters()]


def test_cell_sub_cells_registered_in_definition_order():
    net = Net()
    assert list(net.name_cells()) == ["l1", "seq", "inner"]
    assert [n for n, _ in net.cells_and_names()] == ["", "l1", "seq", "seq.0", "seq.1", "seq.2", "inner"]


def test_cell_unnamed_parameter_takes_attribute_name():
    net = Net()
    assert net.gamma.name == "gamma"
    assert net.inner.scale.name == "inner.scale"
    assert Inner().scale.name == "scale"


def test_with_loss_cell_does_not_prefix_names():
    net = Net()
    with_loss = nn.WithLossCell(net, nn.MSELoss())
    assert [p.name for p in with_loss.trainable_params()] == [n for n in ALL_NAMES if n != "frozen"]
    assert with_loss.backbone_network is net


def test_cell_set_grad_returns_the_cell():
    net = Net()
    assert net.set_grad() is net


def test_cell_call_runs_construct_eagerly():
    class Affine(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], F32)), name="w")
            self.b = Parameter(Tensor(np.array([0.5, -0.5], F32)), name="b")
            self.matmul = ops.MatMul()

        def construct(self, x):
            return self.matmul(x, self.w) + self.b

    x = np.array([[1.0, 1.0]], F32)
    check(Affine()(Tensor(x)), np.array([[4.5, 5.5]], F32))


def test_with_loss_cell_call_runs_backbone_then_loss():
    net = nn.Dense(3, 2)
    x, y = rand(4, 3, seed=8), rand(4, 2, seed=9)
    w, b = net.weight.asnumpy(), net.bias.asnumpy()
    check(nn.WithLossCell(net, nn.MSELoss())(Tensor(x), Tensor(y)),
          np.array(np.mean((x @ w.T + b - y) ** 2), F32), rtol=1e-5)


@pytest.mark.parametrize("value", [Parameter(Tensor(np.ones(1, F32)), name="p"), nn.ReLU()],
                         ids=["parameter", "cell"])
def test_cell_attribute_before_super_init_raises(value):
    class Bad(nn.Cell):
        def __init__(self):
            self.attr = value
            super().__init__()

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__\(\)"):
        Bad()


# --- nn layers -----------------------------------------------------------------------

def test_dense_parameters_and_forward():
    dense = nn.Dense(3, 2)
    assert [p.name for p in dense.get_parameters()] == ["weight", "bias"]
    assert dense.weight.shape == (2, 3) and dense.bias.shape == (2,)
    assert dense.weight.dtype == ms.float32
    x = rand(4, 3, seed=10)
    w, b = dense.weight.asnumpy(), dense.bias.asnumpy()
    check(dense(Tensor(x)), x @ w.T + b, F32)


def test_dense_relu_activation():
    w = np.array([[1.0, -1.0, 0.5], [-2.0, 0.5, 1.0]], F32)
    b = np.array([0.1, -0.1], F32)
    dense = nn.Dense(3, 2, weight_init=Tensor(w), bias_init=Tensor(b), activation="relu")
    x = rand(5, 3, seed=11)
    expected = np.maximum(x @ w.T + b, 0)
    assert (expected == 0).any() and (expected > 0).any()
    check(dense(Tensor(x)), expected, F32)


def test_dense_without_bias():
    dense = nn.Dense(3, 2, has_bias=False)
    assert [p.name for p in dense.get_parameters()] == ["weight"]
    x = rand(2, 3, seed=12)
    check(dense(Tensor(x)), x @ dense.weight.asnumpy().T, F32)


def test_dense_unknown_activation_raises_key_error():
    with pytest.raises(KeyError):
        nn.Dense(3, 2, activation="no_such_activation")


def test_sequential_cell_runs_cells_in_order():
    d1, d2 = nn.Dense(3, 4), nn.Dense(4, 2)
    seq = nn.SequentialCell([d1, nn.ReLU(), d2])
    assert len(seq) == 3 and seq[0] is d1 and seq[2] is d2
    assert [p.name for p in seq.get_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = rand(5, 3, seed=13)
    h = np.maximum(x @ d1.weight.asnumpy().T + d1.bias.asnumpy(), 0)
    check(seq(Tensor(x)), h @ d2.weight.asnumpy().T + d2.bias.asnumpy(), F32)


LOGITS = rand(4, 5, seed=14)
SPARSE_LABELS = np.array([0, 3, 4, 1], I32)
DENSE_LABELS = np_softmax(rand(4, 5, seed=15)).astype(F32)     # rows sum to 1


def reduce_loss(per_row, reduction):
    return {"none": per_row, "mean": per_row.mean(), "sum": per_row.sum()}[reduction]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("sparse", [False, True])
def test_softmax_cross_entropy_cell(sparse, reduction):
    labels = SPARSE_LABELS if sparse else DENSE_LABELS
    dense_labels = np_one_hot(SPARSE_LABELS, 5) if sparse else DENSE_LABELS
    per_row = -(dense_labels * np_log_softmax(LOGITS)).sum(-1)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=sparse, reduction=reduction)
    check(loss(Tensor(LOGITS), Tensor(labels)), reduce_loss(per_row, reduction), F32)


def test_softmax_cross_entropy_cell_default_is_dense_none():
    per_row = -(DENSE_LABELS * np_log_softmax(LOGITS)).sum(-1)
    check(nn.SoftmaxCrossEntropyWithLogits()(Tensor(LOGITS), Tensor(DENSE_LABELS)), per_row, F32)


def test_softmax_cross_entropy_cell_bad_reduction():
    with pytest.raises(ValueError) as info:
        nn.SoftmaxCrossEntropyWithLogits(reduction="avg")
    assert str(info.value) == ("For 'SoftmaxCrossEntropyWithLogits', the 'reduction' must be in "
                               "['mean', 'sum', 'none'], but got avg.")


def test_softmax_cross_entropy_cell_sparse_must_be_bool():
    with pytest.raises(TypeError) as info:
        nn.SoftmaxCrossEntropyWithLogits(sparse=1)
    assert str(info.value) == "For 'SoftmaxCrossEntropyWithLogits', the 'sparse' must be a bool, but got int."


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_mse_loss(reduction):
    x, y = rand(3, 4, seed=16), rand(3, 4, seed=17)
    sq = (x.astype(F64) - y) ** 2
    expected = {"none": sq, "mean": sq.mean(), "sum": sq.sum()}[reduction]
    check(nn.MSELoss(reduction=reduction)(Tensor(x), Tensor(y)), expected, F32)


def test_mse_loss_default_is_mean():
    x, y = rand(3, 4, seed=18), rand(3, 4, seed=19)
    check(nn.MSELoss()(Tensor(x), Tensor(y)), np.mean((x.astype(F64) - y) ** 2), F32)


# --- ops primitives (eager) -----------------------------------------------------------

X = rand(2, 3, seed=20)
Y = rand(2, 3, seed=21)
P = rand(2, 3, seed=22, positive=True)
Q = rand(2, 3, seed=23, positive=True)
ROW = rand(3, seed=24, positive=True)
X3 = rand(2, 3, 4, seed=25)

# id: (primitive object, operands, NumPy reference computed in float64, expected dtype)
PRIMITIVE_CASES = {
    "Add": (ops.Add(), (X, Y), X.astype(F64) + Y, F32),
    "Add_broadcast": (ops.Add(), (X, ROW), X.astype(F64) + ROW, F32),
    "Sub": (ops.Sub(), (X, Y), X.astype(F64) - Y, F32),
    "Mul": (ops.Mul(), (X, ROW), X.astype(F64) * ROW, F32),
    "RealDiv": (ops.RealDiv(), (X, Q), X.astype(F64) / Q, F32),
    "Div": (ops.Div(), (X, Q), X.astype(F64) / Q, F32),
    "Neg": (ops.Neg(), (X,), -X, F32),
    "Square": (ops.Square(), (X,), X.astype(F64) ** 2, F32),
    "Exp": (ops.Exp(), (X,), np.exp(X.astype(F64)), F32),
    "Log": (ops.Log(), (P,), np.log(P.astype(F64)), F32),
    "Sqrt": (ops.Sqrt(), (P,), np.sqrt(P.astype(F64)), F32),
    "Pow": (ops.Pow(), (P, Q), P.astype(F64) ** Q, F32),
    "ReLU": (ops.ReLU(), (X,), np.maximum(X, 0), F32),
    "Sigmoid": (ops.Sigmoid(), (X,), 1 / (1 + np.exp(-X.astype(F64))), F32),
    "Tanh": (ops.Tanh(), (X,), np.tanh(X.astype(F64)), F32),
    "BiasAdd_2d": (ops.BiasAdd(), (X, ROW), X.astype(F64) + ROW, F32),
    "BiasAdd_4d_NCHW": (ops.BiasAdd(), (rand(2, 3, 4, 5, seed=26), ROW),
                        rand(2, 3, 4, 5, seed=26).astype(F64) + ROW[None, :, None, None], F32),
    "ReduceSum_all": (ops.ReduceSum(), (X3,), X3.astype(F64).sum(), F32),
    "ReduceSum_axis": (ops.ReduceSum(), (X3, 1), X3.astype(F64).sum(1), F32),
    "ReduceSum_neg_axis": (ops.ReduceSum(), (X3, -1), X3.astype(F64).sum(-1), F32),
    "ReduceSum_axes_keep_dims": (ops.ReduceSum(keep_dims=True), (X3, (0, 2)),
                                 X3.astype(F64).sum((0, 2), keepdims=True), F32),
    "ReduceSum_all_keep_dims": (ops.ReduceSum(keep_dims=True), (X3,),
                                X3.astype(F64).sum(keepdims=True), F32),
    "ReduceMean_all": (ops.ReduceMean(), (X3,), X3.astype(F64).mean(), F32),
    "ReduceMean_axis": (ops.ReduceMean(), (X3, 2), X3.astype(F64).mean(2), F32),
    "ReduceMean_axes_keep_dims": (ops.ReduceMean(keep_dims=True), (X3, (0, 1)),
                                  X3.astype(F64).mean((0, 1), keepdims=True), F32),
    "Reshape": (ops.Reshape(), (X3, (4, -1)), X3.reshape(4, -1), F32),
    "Transpose": (ops.Transpose(), (X3, (2, 0, 1)), X3.transpose(2, 0, 1), F32),
    "ExpandDims": (ops.ExpandDims(), (X, 1), X[:, None, :], F32),
    "ExpandDims_neg": (ops.ExpandDims(), (X, -1), X[:, :, None], F32),
    "Softmax": (ops.Softmax(), (X,), np_softmax(X), F32),
    "Softmax_axis_minus1": (ops.Softmax(axis=-1), (X3,), np_softmax(X3), F32),
    "LogSoftmax": (ops.LogSoftmax(), (X,), np_log_softmax(X), F32),
    "SparseSoftmaxCrossEntropyWithLogits": (
        ops.SparseSoftmaxCrossEntropyWithLogits(), (LOGITS, SPARSE_LABELS),
        -(np_one_hot(SPARSE_LABELS, 5) * np_log_softmax(LOGITS)).sum(-1).mean(), F32),
    "OneHot": (ops.OneHot(), (np.array([0, 2, 1], I32), 3, Tensor(1.0, ms.float32), Tensor(0.0, ms.float32)),
               np.eye(3)[[0, 2, 1]], F32),
    "OneHot_on_off_values": (ops.OneHot(), (np.array([1, 0], I64), 3, Tensor(5.0, ms.float32),
                                            Tensor(-1.0, ms.float32)),
                             np.array([[-1, 5, -1], [5, -1, -1]]), F32),
    "OneHot_int32_values": (ops.OneHot(), (np.array([2, 0], I32), 3, Tensor(1, ms.int32), Tensor(0, ms.int32)),
                            np.eye(3)[[2, 0]], I32),
    "ZerosLike": (ops.ZerosLike(), (X,), np.zeros_like(X), F32),
    "ZerosLike_int": (ops.ZerosLike(), (np.array([1, 2], I32),), np.zeros(2), I32),
    "OnesLike": (ops.OnesLike(), (X3,), np.ones_like(X3), F32),
    "Cast_to_int32": (ops.Cast(), (np.array([1.7, -1.7, 0.2], F32), ms.int32), np.array([1, -1, 0]), I32),
    "Cast_to_float64": (ops.Cast(), (X, ms.float64), X.astype(F64), F64),
    "Cast_int_to_float32": (ops.Cast(), (np.array([1, 2], I64), ms.float32), np.array([1.0, 2.0]), F32),
}


def as_tensor(arg):
    return Tensor(arg) if isinstance(arg, np.ndarray) else arg


@pytest.mark.parametrize("case", PRIMITIVE_CASES, ids=str)
def test_primitive_eager(case):
    prim, args, expected, dtype = PRIMITIVE_CASES[case]
    check(prim(*[as_tensor(a) for a in args]), expected, dtype)


@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_primitive_matmul_transpose_flags(transpose_a, transpose_b):
    a, b = rand(2, 3, seed=27), rand(3, 4, seed=28)
    a_in = a.T.copy() if transpose_a else a
    b_in = b.T.copy() if transpose_b else b
    out = ops.MatMul(transpose_a=transpose_a, transpose_b=transpose_b)(Tensor(a_in), Tensor(b_in))
    check(out, a.astype(F64) @ b, F32)


def test_primitive_softmax_cross_entropy_returns_loss_and_softmax_minus_labels():
    loss, backprop = ops.SoftmaxCrossEntropyWithLogits()(Tensor(LOGITS), Tensor(DENSE_LABELS))
    check(loss, -(DENSE_LABELS * np_log_softmax(LOGITS)).sum(-1), F32)
    check(backprop, np_softmax(LOGITS) - DENSE_LABELS, F32)


def test_primitive_softmax_cross_entropy_doc_example():
    # The MindSpore doc example: logits [2, 2], labels [1, 1] (not a distribution).
    loss, backprop = ops.SoftmaxCrossEntropyWithLogits()(Tensor(np.array([[2.0, 2.0]], F32)),
                                                         Tensor(np.array([[1.0, 1.0]], F32)))
    check(loss, np.array([2 * np.log(2)]), F32)
    check(backprop, np.array([[-0.5, -0.5]]), F32)


@pytest.mark.parametrize("prim, scalar, f", [
    (ops.Add(), 2.0, lambda x, s: x + s),
    (ops.Mul(), 0.5, lambda x, s: x * s),
    (ops.Pow(), 2.0, lambda x, s: x ** s),
    (ops.RealDiv(), 4.0, lambda x, s: x / s),
], ids=["Add", "Mul", "Pow", "RealDiv"])
def test_primitive_with_python_float_operand_stays_float32(prim, scalar, f):
    check(prim(Tensor(P), scalar), f(P.astype(F64), scalar), F32)


# --- functional ops (eager) -------------------------------------------------------------

FUNCTIONAL_CASES = {
    "matmul": (lambda: ops.matmul(Tensor(X), Tensor(X.T.copy())), X.astype(F64) @ X.T, F32),
    "relu": (lambda: ops.relu(Tensor(X)), np.maximum(X, 0), F32),
    "sum_all": (lambda: ops.sum(Tensor(X3)), X3.astype(F64).sum(), F32),
    "sum_dim": (lambda: ops.sum(Tensor(X3), 1), X3.astype(F64).sum(1), F32),
    "sum_dim_keepdim": (lambda: ops.sum(Tensor(X3), dim=(0, 2), keepdim=True),
                        X3.astype(F64).sum((0, 2), keepdims=True), F32),
    "mean_all": (lambda: ops.mean(Tensor(X3)), X3.astype(F64).mean(), F32),
    "mean_axis_keep_dims": (lambda: ops.mean(Tensor(X3), -1, keep_dims=True),
                            X3.astype(F64).mean(-1, keepdims=True), F32),
    "softmax": (lambda: ops.softmax(Tensor(X)), np_softmax(X), F32),
    "softmax_axis": (lambda: ops.softmax(Tensor(X3), axis=-1), np_softmax(X3), F32),
    "reshape": (lambda: ops.reshape(Tensor(X3), (6, 4)), X3.reshape(6, 4), F32),
    "transpose": (lambda: ops.transpose(Tensor(X3), (1, 0, 2)), X3.transpose(1, 0, 2), F32),
    "cast": (lambda: ops.cast(Tensor(X), ms.float64), X.astype(F64), F64),
    "cast_int32": (lambda: ops.cast(Tensor(np.array([2.9, -2.9], F32)), ms.int32), np.array([2, -2]), I32),
}


@pytest.mark.parametrize("case", FUNCTIONAL_CASES, ids=str)
def test_functional_eager(case):
    call, expected, dtype = FUNCTIONAL_CASES[case]
    check(call(), expected, dtype)
