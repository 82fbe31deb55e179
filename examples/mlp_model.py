"""A small classifier for `examples/emit_gradient.sh`: a two-layer MLP and its loss."""
import numpy as np

import s2sgrad as ms
from s2sgrad import Parameter, Tensor, nn, ops


@ms.jit
class MLP(nn.Cell):
    """Two Dense layers with a ReLU between them; returns the class scores."""

    def __init__(self, n_in, n_hidden, n_classes):
        super().__init__()
        rng = np.random.default_rng(0)
        self.w1 = Parameter(Tensor(rng.standard_normal((n_in, n_hidden)).astype(np.float32) * 0.1), name="w1")
        self.b1 = Parameter(Tensor(np.zeros(n_hidden, np.float32)), name="b1")
        self.w2 = Parameter(Tensor(rng.standard_normal((n_hidden, n_classes)).astype(np.float32) * 0.1), name="w2")
        self.b2 = Parameter(Tensor(np.zeros(n_classes, np.float32)), name="b2")

    def construct(self, x):
        h = ops.relu(x @ self.w1 + self.b1)
        return h @ self.w2 + self.b2


def classifier(n_in, n_hidden, n_classes):
    """The MLP with a sparse softmax cross-entropy loss: construct(x, label) -> mean loss."""
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return nn.WithLossCell(MLP(n_in, n_hidden, n_classes), loss)
