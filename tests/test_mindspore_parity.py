"""ForwardValueAndGrad over Dense(784,64) -> ReLU -> Dense(64,10) with sparse, mean
SoftmaxCrossEntropyWithLogits and int32 labels, against values recorded from
mindspore 2.10 (tools/record_mindspore_reference.py), for every get_all /
get_by_list / sens_param combination."""
import itertools
import json
import os

import numpy as np
import pytest

from s2sgrad import nn, Tensor, ParameterTuple

REF = np.load(os.path.join(os.path.dirname(__file__), "data", "mindspore_mlp_reference.npz"))
STRUCTURE = json.loads(str(REF["structure"]))


def structure(g):
    if isinstance(g, tuple):
        return [structure(x) for x in g]
    return list(g.shape)


def flatten(g):
    if isinstance(g, tuple):
        return [a for x in g for a in flatten(x)]
    return [g]


@pytest.fixture(scope="module")
def network():
    dense1, dense2 = nn.Dense(784, 64), nn.Dense(64, 10)
    for layer, w, b in ((dense1, "w1", "b1"), (dense2, "w2", "b2")):
        layer.weight.set_data(REF[w])
        layer.bias.set_data(REF[b])
    net = nn.SequentialCell([dense1, nn.ReLU(), dense2])
    with_loss = nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
    return with_loss, ParameterTuple(net.trainable_params())


@pytest.mark.parametrize("get_all,get_by_list,sens_param", list(itertools.product((False, True), repeat=3)))
def test_mlp_matches_mindspore(network, get_all, get_by_list, sens_param):
    with_loss, weights = network
    key = f"{int(get_all)}{int(get_by_list)}{int(sens_param)}"
    fvag = nn.ForwardValueAndGrad(with_loss, weights=weights, get_all=get_all, get_by_list=get_by_list,
                                  sens_param=sens_param)
    args = [Tensor(REF["x"]), Tensor(REF["labels"])] + ([Tensor(REF["sens"])] if sens_param else [])
    loss, grads = fvag(*args)
    np.testing.assert_allclose(loss.asnumpy(), REF[f"loss_{key}"], rtol=1e-5)
    assert structure(grads) == STRUCTURE[key]
    full = [REF[f"grad_{int(sens_param)}_{i}"] for i in range(6)]   # dx, dlabels, dw1, db1, dw2, db2
    want = {(0, 0): full[:1], (1, 0): full[:2], (0, 1): full[2:], (1, 1): full}[(int(get_all), int(get_by_list))]
    for got, ref in zip(flatten(grads), want):
        assert got.asnumpy().dtype == ref.dtype
        np.testing.assert_allclose(got.asnumpy(), ref, rtol=1e-4, atol=1e-6)
