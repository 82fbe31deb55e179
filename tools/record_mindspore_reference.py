"""Record MindSpore 2.10 reference values for tests/test_mindspore_parity.py.

Run with a Python that has mindspore==2.10.0 (a separate venv; never a dependency):
    /path/to/msvenv/bin/python tools/record_mindspore_reference.py
It writes tests/data/mindspore_mlp_reference.npz: the inputs, the weights, and for every
get_all / get_by_list / sens_param combination the loss and the nesting of MindSpore's
output structure, plus the gradients (dx, dlabels, dw1, db1, dw2, db2) with and without sens.
"""
import json
import os

import numpy as np
import mindspore as ms
from mindspore import Tensor, nn, ParameterTuple


def inputs():
    rng = np.random.default_rng(0)
    return dict(x=rng.standard_normal((8, 784)).astype(np.float32),
                labels=rng.integers(0, 10, 8).astype(np.int32),
                w1=(rng.standard_normal((64, 784)) * 0.05).astype(np.float32),
                b1=(rng.standard_normal(64) * 0.1).astype(np.float32),
                w2=(rng.standard_normal((10, 64)) * 0.1).astype(np.float32),
                b2=(rng.standard_normal(10) * 0.1).astype(np.float32),
                sens=np.float32(2.5))


def structure(g):
    if isinstance(g, tuple):
        return [structure(x) for x in g]
    return list(g.shape)


def flatten(g):
    if isinstance(g, tuple):
        return [a for x in g for a in flatten(x)]
    return [g.asnumpy()]


def main():
    data = inputs()
    dense1, dense2 = nn.Dense(784, 64), nn.Dense(64, 10)
    for layer, w, b in ((dense1, "w1", "b1"), (dense2, "w2", "b2")):
        layer.weight.set_data(Tensor(data[w]))
        layer.bias.set_data(Tensor(data[b]))
    net = nn.SequentialCell([dense1, nn.ReLU(), dense2])
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    with_loss = nn.WithLossCell(net, loss)
    weights = ParameterTuple(net.trainable_params())
    out = dict(data)
    meta = {}
    for get_all in (False, True):
        for get_by_list in (False, True):
            for sens_param in (False, True):
                key = f"{int(get_all)}{int(get_by_list)}{int(sens_param)}"
                fvag = nn.ForwardValueAndGrad(with_loss, weights=weights, get_all=get_all,
                                              get_by_list=get_by_list, sens_param=sens_param)
                args = [Tensor(data["x"]), Tensor(data["labels"])]
                if sens_param:
                    args.append(Tensor(data["sens"]))
                value, grads = fvag(*args)
                out[f"loss_{key}"] = value.asnumpy()
                if get_all and get_by_list:   # the other combinations return subsets of these
                    for i, g in enumerate(flatten(grads)):
                        out[f"grad_{int(sens_param)}_{i}"] = g
                meta[key] = structure(grads)
    out["structure"] = np.array(json.dumps(meta))
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "mindspore_mlp_reference.npz")
    np.savez_compressed(path, **out)
    print("wrote", os.path.normpath(path), json.dumps(meta))


if __name__ == "__main__":
    main()
