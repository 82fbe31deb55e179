"""Adjoints of softmax and the cross-entropy losses. These follow MindSpore 2.10,
which differs from exact math for SoftmaxCrossEntropyWithLogits: the logits
gradient is softmax - labels (no sum(labels) factor) and labels get zeros."""
# flake8: noqa: F821 -- names inside templates are primitives of the generated code.
from s2sgrad import primitives as P
from . import adjoint, d


@adjoint(P.softmax)
def softmax(z, x, axis):
    d[x] = z * (d[z] - reduce_sum(d[z] * z, -1, True))


@adjoint(P.log_softmax)
def log_softmax(z, x, axis):
    d[x] = d[z] - exp(z) * reduce_sum(d[z], -1, True)


@adjoint(P.softmax_cross_entropy)
def softmax_cross_entropy(z, logits, labels):
    d[logits] = z[1] * expand_dims(d[z[0]], -1)
    d[labels] = zeros_like(labels)


@adjoint(P.sparse_softmax_cross_entropy)
def sparse_softmax_cross_entropy(z, logits, labels):
    d[logits] = z[1] * d[z[0]]
    d[labels] = zeros_like(labels)
