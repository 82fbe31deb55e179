"""ForwardValueAndGrad and GradOperation: MindSpore 2.10's output structure for every
flag combination, argument validation with MindSpore's exact messages, and the
calling conventions (non-Tensor inputs, unused inputs, int inputs, several outputs,
sens, Parameter updates without recompiling)."""
import numpy as np
import pytest

import s2sgrad as ms
from s2sgrad import nn, ops, Tensor, Parameter, ParameterTuple
from s2sgrad.errors import S2SGradError

from gradcheck import check_grads


class Scale(nn.Cell):
    """out = sum(x * w) + 0 * y: y unused by the gradient-carrying path."""

    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.array([2.0, 3.0])), name="w")
        self.unused = Parameter(Tensor(np.array([1.0])), name="unused")
        self.mul = ops.Mul()

    def construct(self, x, y):
        return self.mul(x, self.w).sum()


X = Tensor(np.array([1.0, 4.0]))
Y = Tensor(np.array([5.0, 6.0]))


@pytest.fixture(scope="module")
def net():
    return Scale()


def test_default_flags_give_bare_gradient_of_first_input(net):
    loss, g = nn.ForwardValueAndGrad(net)(X, Y)
    assert isinstance(g, Tensor) and loss.shape == ()
    np.testing.assert_array_equal(g.asnumpy(), [2.0, 3.0])
    assert float(loss.asnumpy()) == 14.0


def test_get_all_gives_one_gradient_per_tensor_input_and_zeros_for_unused(net):
    _, (gx, gy) = nn.ForwardValueAndGrad(net, get_all=True)(X, Y)
    np.testing.assert_array_equal(gx.asnumpy(), [2.0, 3.0])
    np.testing.assert_array_equal(gy.asnumpy(), [0.0, 0.0])


def test_get_by_list_gives_weight_gradients_in_order_with_zeros_for_unused_weights(net):
    weights = ParameterTuple([net.unused, net.w])
    _, (g_unused, g_w) = nn.ForwardValueAndGrad(net, weights=weights, get_by_list=True)(X, Y)
    np.testing.assert_array_equal(g_unused.asnumpy(), [0.0])
    np.testing.assert_array_equal(g_w.asnumpy(), [1.0, 4.0])


def test_get_all_and_get_by_list_nest_inputs_then_weights(net):
    _, grads = nn.ForwardValueAndGrad(net, weights=[net.w], get_all=True, get_by_list=True)(X, Y)
    (gx, gy), (gw,) = grads
    np.testing.assert_array_equal(gw.asnumpy(), [1.0, 4.0])


def test_empty_weights_give_empty_tuples(net):
    _, grads = nn.ForwardValueAndGrad(net, weights=ParameterTuple([]), get_all=True, get_by_list=True)(X, Y)
    assert len(grads) == 2 and grads[1] == ()
    _, grads = nn.ForwardValueAndGrad(net, weights=(), get_by_list=True)(X, Y)
    assert grads == ()


def test_requires_grad_false_weight_gets_zeros_as_in_pynative():
    net = Scale()
    net.w.requires_grad = False
    _, (gw,) = nn.ForwardValueAndGrad(net, weights=[net.w], get_by_list=True)(X, Y)
    np.testing.assert_array_equal(gw.asnumpy(), [0.0, 0.0])


def test_sens_param_scales_gradients_and_uses_last_argument(net):
    _, g = nn.ForwardValueAndGrad(net, sens_param=True)(X, Y, Tensor(np.array(3.0)))
    np.testing.assert_array_equal(g.asnumpy(), [6.0, 9.0])


def test_wrong_shaped_sens_is_refused_not_misbroadcast(net):
    with pytest.raises(S2SGradError, match="sens has shape"):
        nn.ForwardValueAndGrad(net, sens_param=True)(X, Y, Tensor(np.ones(3)))


def f_with_scalar(x, scale, y):
    return x * scale + y * y


def test_non_tensor_inputs_are_skipped():
    _, (gx, gy) = nn.ForwardValueAndGrad(f_with_scalar, get_all=True)(X, 3.0, Y)
    np.testing.assert_array_equal(gx.asnumpy(), [3.0, 3.0])
    np.testing.assert_array_equal(gy.asnumpy(), [10.0, 12.0])


def test_a_list_input_is_refused_at_the_def():
    with pytest.raises(S2SGradError, match="input 1 is a Python list") as info:
        nn.ForwardValueAndGrad(f_with_scalar, get_all=True)(X, [Y, Y], Y)
    assert f"test_grad_api.py:{f_with_scalar.__code__.co_firstlineno}:" in str(info.value)
    assert "np.stack(xs)" in str(info.value)


def f_no_tensor_first(scale, y):
    return y * scale


def test_default_flags_with_non_tensor_first_input_give_empty_tuple():
    _, g = nn.ForwardValueAndGrad(f_no_tensor_first)(2.0, Y)
    assert g == ()


def f_two_outputs(x, w):
    return x * w, (x * x).sum()


def test_several_outputs_use_ones_sens_each_and_add_up():
    out, (gx, gw) = nn.ForwardValueAndGrad(f_two_outputs, get_all=True)(X, Y)
    assert isinstance(out, tuple) and len(out) == 2
    np.testing.assert_array_equal(gx.asnumpy(), Y.asnumpy() + 2 * X.asnumpy())


def test_several_outputs_take_a_tuple_sens():
    sens = (Tensor(np.array([1.0, 2.0])), Tensor(np.array(0.5)))
    _, (gx, _) = nn.ForwardValueAndGrad(f_two_outputs, get_all=True, sens_param=True)(X, Y, sens)
    np.testing.assert_array_equal(gx.asnumpy(), Y.asnumpy() * [1.0, 2.0] + X.asnumpy())


def f_int_times_two(a, x):
    return a * 2 + x


def test_int_input_gets_gradient_cast_to_its_dtype():
    a = Tensor(np.array([1, 2], np.int32))
    _, (ga, gx) = nn.ForwardValueAndGrad(f_int_times_two, get_all=True)(a, Tensor(np.ones(2, np.float32)))
    assert ga.dtype == ms.int32
    np.testing.assert_array_equal(ga.asnumpy(), [2, 2])


def test_parameter_update_changes_next_result_without_recompiling():
    net = Scale()
    fvag = nn.ForwardValueAndGrad(net, weights=[net.w], get_by_list=True)
    loss1, _ = fvag(X, Y)
    compiled = fvag._grad.last
    net.w.set_data(np.array([10.0, 10.0]))
    loss2, _ = fvag(X, Y)
    assert fvag._grad.last is compiled
    assert float(loss1.asnumpy()) == 14.0 and float(loss2.asnumpy()) == 50.0


def test_value_and_gradient_come_from_one_compiled_call(net):
    fvag = nn.ForwardValueAndGrad(net)
    fvag(X, Y)
    assert "def value_and_grad" in ms.source(fvag)
    assert ms.source(fvag).count("forward(") == 2      # its definition and one call


def test_grad_operation_returns_gradients_only(net):
    grads = ops.GradOperation(get_all=True)(net)(X, Y)
    assert len(grads) == 2
    np.testing.assert_array_equal(grads[0].asnumpy(), [2.0, 3.0])
    g = ops.GradOperation(get_by_list=True)(net, ParameterTuple([net.w]))(X, Y)
    np.testing.assert_array_equal(g[0].asnumpy(), [1.0, 4.0])


# -- validation: MindSpore's exception types and exact messages ---------------------

@pytest.mark.parametrize("kwargs,message", [
    (dict(network=1), "For 'ForwardValueAndGrad', the argument 'network' must be cell, function type or method "
                      "type, but got '<class 'int'>'"),
    (dict(get_all=1), "For 'ForwardValueAndGrad', the type of 'get_all' must be bool, but got '<class 'int'>'"),
    (dict(get_all=np.bool_(True)), "For 'ForwardValueAndGrad', the type of 'get_all' must be bool, but got "
                                   "'<class 'numpy.bool'>'"),
    (dict(get_by_list=1), "For 'ForwardValueAndGrad', the type of 'get_by_list' must be bool, but got "
                          "'<class 'int'>'"),
    (dict(get_by_list=True), "For 'ForwardValueAndGrad', when 'get_by_list' is set to True, the argument 'weights' "
                             "must be Parameters array, but got '<class 'NoneType'>'"),
    (dict(sens_param=1), "For 'GradOperation', the 'sens_param' should be bool, but got int"),
])
def test_forward_value_and_grad_validation_messages(net, kwargs, message):
    kwargs.setdefault("network", net)
    with pytest.raises(TypeError) as info:
        nn.ForwardValueAndGrad(**kwargs)
    assert str(info.value) == message


def test_single_parameter_as_weights_is_refused_with_abc_parameter(net):
    with pytest.raises(TypeError) as info:
        nn.ForwardValueAndGrad(net, weights=net.w, get_by_list=True)
    assert str(info.value).endswith("but got '<class 'abc.Parameter'>'")


def test_keyword_arguments_are_refused(net):
    with pytest.raises(TypeError, match="unexpected keyword argument 'y'"):
        nn.ForwardValueAndGrad(net)(X, y=Y)


def test_missing_sens_is_a_type_error(net):
    with pytest.raises(TypeError):
        nn.ForwardValueAndGrad(net, sens_param=True)()


def test_weights_ignored_without_get_by_list(net):
    _, g = nn.ForwardValueAndGrad(net, weights=[net.w])(X, Y)
    assert isinstance(g, Tensor)


def _product(x, a):
    return x * a


def test_an_output_folded_to_a_numpy_scalar_compiles():
    # no Tensor input: the whole program folds to one NumPy constant, which the generated
    # module must write without naming `np` (it did not import it)
    out, grads = nn.ForwardValueAndGrad(_product, get_all=True)(np.float64(0.4), np.float64(1.3))
    assert float(np.asarray(out)) == pytest.approx(0.52) and grads == ()


def _sixteen_layers(x, w0, b0, w1, b1, w2, b2, w3, b3, w4, b4, w5, b5, w6, b6, w7, b7,
                    w8, b8, w9, b9, w10, b10, w11, b11, w12, b12, w13, b13, w14, b14, w15, b15):
    h = np.tanh(x * w0 + b0)
    h = np.tanh(h * w1 + b1)
    h = np.tanh(h * w2 + b2)
    h = np.tanh(h * w3 + b3)
    h = np.tanh(h * w4 + b4)
    h = np.tanh(h * w5 + b5)
    h = np.tanh(h * w6 + b6)
    h = np.tanh(h * w7 + b7)
    h = np.tanh(h * w8 + b8)
    h = np.tanh(h * w9 + b9)
    h = np.tanh(h * w10 + b10)
    h = np.tanh(h * w11 + b11)
    h = np.tanh(h * w12 + b12)
    h = np.tanh(h * w13 + b13)
    h = np.tanh(h * w14 + b14)
    return (h * w15 + b15).sum()


def test_a_network_with_more_than_thirty_arguments_compiles():
    # CPython calls a function with more than 30 arguments as f(*args), which Numba cannot
    # inline: the compiled forward takes 33 arrays here and must still be called
    rng = np.random.default_rng(3)
    args = [rng.standard_normal(3)]
    for _ in range(16):
        args += [rng.standard_normal(3) * 0.7 + 0.5, rng.standard_normal(3) * 0.1]
    check_grads(_sixteen_layers, *args, rtol=1e-5, atol=1e-7)
