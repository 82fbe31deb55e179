"""Loss cells: values against NumPy formulas of MindSpore 2.10's definitions, and
gradients against central finite differences (float64), for every reduction. Each
module-scoped network computes one loss family under all three reductions, so one
compiled program checks all of them."""
import numpy as np
import pytest

from s2sgrad import nn, Tensor

from gradcheck import check_grads

RNG = np.random.default_rng(7)
REDUCTIONS = ("mean", "sum", "none")


def reduce(x, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](x)


class AllReductions(nn.Cell):
    """(loss_mean(*xs), loss_sum(*xs), loss_none(*xs)) for each loss family given."""

    def __init__(self, make, n_inputs=2):
        super().__init__()
        self.mean = make("mean")
        self.sum = make("sum")
        self.none = make("none")

    def construct(self, a, b):
        return self.mean(a, b), self.sum(a, b), self.none(a, b)


def check_family(make, a, b, expected, rtol=1e-5, atol=1e-6):
    net = AllReductions(make)
    for got, want in zip(net(Tensor(a) if isinstance(a, np.ndarray) else a, Tensor(b)), expected):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-10, atol=1e-12)
    check_grads(net, a, b, rtol=rtol, atol=atol)


def test_l1_loss_values_and_gradients():
    x = RNG.standard_normal((3, 4))
    y = x + RNG.choice([-1.0, 1.0], size=x.shape) * RNG.uniform(0.1, 1.0, x.shape)   # |x - y| >= 0.1
    check_family(lambda r: nn.L1Loss(reduction=r), x, y, [reduce(np.abs(x - y), r) for r in REDUCTIONS])


def test_smooth_l1_loss_values_and_gradients_on_both_branches():
    beta = 0.5
    x = RNG.standard_normal((3, 4))
    d = RNG.choice([0.1, 0.3, 0.8, 1.5], size=x.shape) * RNG.choice([-1.0, 1.0], size=x.shape)
    y = x - d
    ad = np.abs(d)
    elem = np.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)
    check_family(lambda r: nn.SmoothL1Loss(beta=beta, reduction=r), x, y, [reduce(elem, r) for r in REDUCTIONS])


def test_smooth_l1_loss_defaults_to_no_reduction_and_checks_beta():
    assert nn.SmoothL1Loss().reduction == "none"
    with pytest.raises(TypeError, match="'beta' must be a float"):
        nn.SmoothL1Loss(beta=1)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.SmoothL1Loss(beta=0.0)


class Binary(nn.Cell):
    """BCELoss(weight) and BCEWithLogitsLoss(weight, pos_weight), all reductions."""

    def __init__(self, w, pw):
        super().__init__()
        self.bce = [nn.BCELoss(weight=Tensor(w), reduction=r) for r in REDUCTIONS]
        self.bce_mean, self.bce_sum, self.bce_none = self.bce
        self.bcel_mean, self.bcel_sum, self.bcel_none = [
            nn.BCEWithLogitsLoss(reduction=r, weight=Tensor(w), pos_weight=Tensor(pw)) for r in REDUCTIONS]

    def construct(self, p, z, y):
        return (self.bce_mean(p, y), self.bce_sum(p, y), self.bce_none(p, y),
                self.bcel_mean(z, y), self.bcel_sum(z, y), self.bcel_none(z, y))


def test_binary_cross_entropy_losses_values_and_gradients():
    p = RNG.uniform(0.1, 0.9, (3, 4))
    z = RNG.standard_normal((3, 4)) * 3.0
    y = RNG.uniform(0.0, 1.0, (3, 4))
    w = RNG.uniform(0.5, 2.0, (4,))
    pw = RNG.uniform(0.5, 3.0, (4,))
    bce = -w * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
    sig = 1 / (1 + np.exp(-z))
    bcel = -w * (pw * y * np.log(sig) + (1 - y) * np.log(1 - sig))
    net = Binary(w, pw)
    got = net(Tensor(p), Tensor(z), Tensor(y))
    for g, want in zip(got, [reduce(bce, r) for r in REDUCTIONS] + [reduce(bcel, r) for r in REDUCTIONS]):
        np.testing.assert_allclose(g.asnumpy(), want, rtol=1e-10, atol=1e-12)
    grads = check_grads(net, p, z, y)
    # MindSpore's documented rules: dx = sigmoid(x) - t, dt = -x (no weights, per element)
    assert len(grads) == 3


def test_bce_with_logits_is_stable_for_large_logits():
    loss = nn.BCEWithLogitsLoss(reduction="none")
    out = loss(Tensor(np.array([1000.0, -1000.0])), Tensor(np.array([0.0, 1.0]))).asnumpy()
    np.testing.assert_allclose(out, [1000.0, 1000.0])


def class_index_reference(log_probs, labels, weight, ignore_index, reduction, smoothing):
    n, c = log_probs.shape
    kept = (labels != ignore_index).astype(float)
    safe = np.where(kept > 0, labels, 0)
    w = (weight[safe] if weight is not None else np.ones(n)) * kept
    loss = -log_probs[np.arange(n), safe] * w
    smooth = -log_probs.sum(1) * kept
    if reduction == "mean":
        loss, smooth = loss.sum() / w.sum(), smooth.mean()
    elif reduction == "sum":
        loss, smooth = loss.sum(), smooth.sum()
    return (1 - smoothing) * loss + smoothing / c * smooth


def log_softmax(x):
    m = x.max(1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(1, keepdims=True))


class ClassIndex(nn.Cell):
    """NLLLoss(weight, ignore_index) and CrossEntropyLoss(weight, ignore_index,
    label_smoothing) on int class labels, all reductions."""

    def __init__(self, w):
        super().__init__()
        self.nll_mean, self.nll_sum, self.nll_none = [
            nn.NLLLoss(weight=Tensor(w), ignore_index=3, reduction=r) for r in REDUCTIONS]
        self.ce_mean, self.ce_sum, self.ce_none = [
            nn.CrossEntropyLoss(weight=Tensor(w), ignore_index=2, reduction=r, label_smoothing=0.2)
            for r in REDUCTIONS]

    def construct(self, x, labels):
        return (self.nll_mean(x, labels), self.nll_sum(x, labels), self.nll_none(x, labels),
                self.ce_mean(x, labels), self.ce_sum(x, labels), self.ce_none(x, labels))


def test_nll_and_cross_entropy_with_class_indices_weights_ignore_index_and_smoothing():
    x = RNG.standard_normal((5, 4))
    labels = np.array([1, 2, 3, 2, 0], np.int32)
    w = np.array([0.5, 1.0, 2.0, 3.0])
    net = ClassIndex(w)
    got = net(Tensor(x), Tensor(labels))
    want = [class_index_reference(x, labels, w, 3, r, 0.0) for r in REDUCTIONS]
    want += [class_index_reference(log_softmax(x), labels, w, 2, r, 0.2) for r in REDUCTIONS]
    for g, e in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), e, rtol=1e-10, atol=1e-12)
    grads = check_grads(net, x, labels)
    assert grads[1].asnumpy().dtype == np.int32 and not grads[1].asnumpy().any()    # labels: zeros of int dtype


def test_cross_entropy_with_class_probabilities():
    x = RNG.standard_normal((3, 4))
    probs = RNG.dirichlet(np.ones(4), size=3)
    w = np.array([1.0, 2.0, 0.5, 1.5])
    s = 0.1
    target = probs * (1 - s) + s / 4
    elem = -(log_softmax(x) * target * w).sum(1)
    expected = [elem.sum() / 3, elem.sum(), elem]
    check_family(lambda r: nn.CrossEntropyLoss(weight=Tensor(w), reduction=r, label_smoothing=s), x, probs,
                 expected)


def test_cross_entropy_argument_checks():
    with pytest.raises(TypeError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1)
    with pytest.raises(ValueError, match=r"range \[0.0, 1.0\]"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(TypeError, match="ignore_index"):
        nn.NLLLoss(ignore_index=1.0)
    with pytest.raises(ValueError, match="must be in \\['mean', 'sum', 'none'\\], but got avg"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(TypeError, match="weight"):
        nn.BCELoss(weight=[1.0, 2.0])
