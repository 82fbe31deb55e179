"""Loss cells with MindSpore 2.10's reductions and gradient semantics."""
from .. import dtype as mstype
from .. import ops
from ..tensor import Tensor
from .cell import Cell


class LossBase(Cell):
    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"For '{type(self).__name__}', the 'reduction' must be in ['mean', 'sum', 'none'], "
                             f"but got {reduction}.")
        self.reduction = reduction
        self.reduce_mean = ops.ReduceMean()
        self.reduce_sum = ops.ReduceSum()

    def get_loss(self, x):
        if self.reduction == "mean":
            x = self.reduce_mean(x)
        if self.reduction == "sum":
            x = self.reduce_sum(x)
        return x


class SoftmaxCrossEntropyWithLogits(LossBase):
    """Softmax cross entropy; `sparse=True` takes int class labels."""

    def __init__(self, sparse=False, reduction="none"):
        if not isinstance(sparse, bool):
            raise TypeError(f"For 'SoftmaxCrossEntropyWithLogits', the 'sparse' must be a bool, "
                            f"but got {type(sparse).__name__}.")
        super().__init__(reduction)
        self.sparse = sparse
        self.softmax_cross_entropy = ops.SoftmaxCrossEntropyWithLogits()
        self.sparse_softmax_cross_entropy = ops.SparseSoftmaxCrossEntropyWithLogits()
        self.one_hot = ops.OneHot()

    def construct(self, logits, labels):
        if self.sparse:
            if self.reduction == "mean":
                return self.sparse_softmax_cross_entropy(logits, labels)
            labels = self.one_hot(labels, logits.shape[-1], 1.0, 0.0)
        x = self.softmax_cross_entropy(logits, labels)[0]
        return self.get_loss(x)


class MSELoss(LossBase):
    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.square = ops.Square()

    def construct(self, logits, labels):
        x = self.square(logits - labels)
        return self.get_loss(x)


def _check_weight(cls_name, name, value):
    """A class-weight argument: None or a Tensor, stored as a float array constant."""
    if value is None:
        return None
    if not isinstance(value, Tensor):
        raise TypeError(f"For '{cls_name}', the '{name}' must be a Tensor or None, but got {type(value).__name__}.")
    return value


def _check_ignore_index(cls_name, ignore_index):
    if not isinstance(ignore_index, int) or isinstance(ignore_index, bool):
        raise TypeError(f"For '{cls_name}', the 'ignore_index' must be int, but got {type(ignore_index).__name__}.")
    return ignore_index


class L1Loss(LossBase):
    """mean/sum/none of |logits - labels|."""

    def __init__(self, reduction="mean"):
        super().__init__(reduction)
        self.abs = ops.Abs()

    def construct(self, logits, labels):
        x = self.abs(logits - labels)
        return self.get_loss(x)


class SmoothL1Loss(LossBase):
    """0.5 (x-y)^2 / beta where |x-y| < beta, |x-y| - 0.5 beta elsewhere. MindSpore's
    default reduction here is 'none'."""

    def __init__(self, beta=1.0, reduction="none"):
        if not isinstance(beta, float):
            raise TypeError(f"For 'SmoothL1Loss', the 'beta' must be a float, but got {type(beta).__name__}.")
        if beta <= 0.0:
            raise ValueError(f"For 'SmoothL1Loss', the 'beta' must be greater than 0, but got {beta}.")
        super().__init__(reduction)
        self.beta = beta
        self.abs = ops.Abs()
        self.square = ops.Square()
        self.select = ops.Select()

    def construct(self, logits, labels):
        diff = logits - labels
        abs_diff = self.abs(diff)
        quadratic = 0.5 * self.square(diff) / self.beta
        linear = abs_diff - 0.5 * self.beta
        x = self.select(abs_diff < self.beta, quadratic, linear)
        return self.get_loss(x)


class BCELoss(LossBase):
    """Binary cross entropy of probabilities: -w (y log(x + eps) + (1 - y) log(1 - x + eps)),
    eps = 1e-12 as in MindSpore's CPU kernel. `weight` (a Tensor broadcastable to the
    input) rescales each element."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = _check_weight("BCELoss", "weight", weight)
        self.log = ops.Log()

    def construct(self, logits, labels):
        eps = 1e-12
        x = -(labels * self.log(logits + eps) + (1.0 - labels) * self.log(1.0 - logits + eps))
        if self.weight is not None:
            x = x * self.weight
        return self.get_loss(x)


class BCEWithLogitsLoss(LossBase):
    """Binary cross entropy on logits, computed stably:
    w ((1 - y) x + (1 + (p - 1) y) softplus(-x)), p = pos_weight."""

    def __init__(self, reduction="mean", weight=None, pos_weight=None):
        super().__init__(reduction)
        self.weight = _check_weight("BCEWithLogitsLoss", "weight", weight)
        self.pos_weight = _check_weight("BCEWithLogitsLoss", "pos_weight", pos_weight)
        self.log = ops.Log()
        self.exp = ops.Exp()
        self.abs = ops.Abs()
        self.maximum = ops.Maximum()

    def construct(self, logits, labels):
        # softplus(-x) = max(-x, 0) + log(1 + exp(-|x|)): no overflow for any x
        softplus_neg = self.maximum(-logits, 0.0) + self.log(1.0 + self.exp(-self.abs(logits)))
        if self.pos_weight is not None:
            x = (1.0 - labels) * logits + (1.0 + (self.pos_weight - 1.0) * labels) * softplus_neg
        else:
            x = (1.0 - labels) * logits + softplus_neg
        if self.weight is not None:
            x = x * self.weight
        return self.get_loss(x)


class _ClassIndexLoss(LossBase):
    """Shared by NLLLoss and CrossEntropyLoss: the loss of log-probabilities `log_probs`
    [N, C] at int class indices `labels` [N], with MindSpore's `_nll_loss` semantics:
    l_n = -w[y_n] log_probs[n, y_n], 0 where y_n == ignore_index; 'mean' divides the sum
    by the sum of the weights of the kept samples; label smoothing mixes in the
    (unweighted) -sum_c log_probs[n, c], averaged over all N for 'mean'."""

    def __init__(self, weight, ignore_index, reduction, label_smoothing):
        super().__init__(reduction)
        self.weight = weight
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.one_hot = ops.OneHot()
        self.cast = ops.Cast()
        self.reduce_sum = ops.ReduceSum()
        self.reshape = ops.Reshape()
        self.ones_like = ops.OnesLike()
        self.reduce_sum_keep = ops.ReduceSum(keep_dims=True)

    def class_index_loss(self, log_probs, labels):
        n_classes = log_probs.shape[-1]
        # labels [N] of any int dtype; the reshape-and-take keeps this path well typed when
        # CrossEntropyLoss compiles it for probability labels [N, C] too (never run then).
        labels = self.cast(self.reshape(labels, (log_probs.shape[0], -1))[:, 0], mstype.int64)
        one_hot = self.cast(self.one_hot(labels, n_classes, 1.0, 0.0), log_probs.dtype)
        kept = self.cast(labels != self.ignore_index, log_probs.dtype)
        if self.weight is not None:
            sample_weight = self.reduce_sum(one_hot * self.weight, -1) * kept
        else:
            sample_weight = kept
        loss = -self.reduce_sum(one_hot * log_probs, -1) * sample_weight
        if self.reduction == "mean":
            loss = self.reduce_sum(loss) / self.reduce_sum(sample_weight)
        if self.reduction == "sum":
            loss = self.reduce_sum(loss)
        if self.label_smoothing > 0.0:
            # the mean over classes: dividing by a count of ones keeps float32 float32 (the class
            # count itself is a runtime int64 in compiled code)
            smooth = -self.reduce_sum(log_probs, -1) * kept / self.reduce_sum(self.ones_like(log_probs), -1)
            if self.reduction == "mean":
                smooth = self.reduce_mean(smooth)
            if self.reduction == "sum":
                smooth = self.reduce_sum(smooth)
            loss = (1.0 - self.label_smoothing) * loss + self.label_smoothing * smooth
        return loss


class NLLLoss(_ClassIndexLoss):
    """Negative log likelihood of log-probabilities `logits` [N, C] at int `labels` [N]."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(_check_weight("NLLLoss", "weight", weight), _check_ignore_index("NLLLoss", ignore_index),
                         reduction, 0.0)

    def construct(self, logits, labels):
        return self.class_index_loss(logits, labels)


class CrossEntropyLoss(_ClassIndexLoss):
    """Cross entropy of `logits` [N, C] with int class indices [N] (NLLLoss of log_softmax,
    with ignore_index and label smoothing) or with class probabilities [N, C] (a float
    target of the logits' shape: -sum_c w_c log_softmax(x)_c y_c, 'mean' divides by N)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        weight = _check_weight("CrossEntropyLoss", "weight", weight)
        _check_ignore_index("CrossEntropyLoss", ignore_index)
        if not isinstance(label_smoothing, float):
            raise TypeError(f"For 'CrossEntropyLoss', the 'label_smoothing' must be float, "
                            f"but got {type(label_smoothing).__name__}.")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"For 'CrossEntropyLoss', the 'label_smoothing' must be in range [0.0, 1.0], "
                             f"but got {label_smoothing}.")
        super().__init__(weight, ignore_index, reduction, label_smoothing)
        self.log_softmax = ops.LogSoftmax()

    def construct(self, logits, labels):
        log_probs = self.log_softmax(logits)
        # MindSpore's test (ops.cross_entropy): as many labels as logits means probabilities.
        # Sizes are runtime values in compiled code, so both paths are compiled (each
        # written to type-check for either label shape) and this test picks one.
        if labels.size == logits.size:
            return self.probability_loss(log_probs, labels)
        return self.class_index_loss(log_probs, labels)

    def probability_loss(self, log_probs, labels):
        # [N, C]; [N, 1] on the unused path, whose int labels the cast keeps int in the backward
        labels = self.cast(self.reshape(labels, (log_probs.shape[0], -1)), log_probs.dtype)
        if self.label_smoothing > 0.0:
            class_count = self.reduce_sum_keep(self.ones_like(log_probs), -1)     # [N, 1] of C, in the dtype
            labels = labels * (1.0 - self.label_smoothing) + self.label_smoothing / class_count
        x = log_probs * labels
        if self.weight is not None:
            x = x * self.weight
        if self.reduction == "mean":
            return -self.reduce_sum(x) / self.reduce_sum(self.ones_like(log_probs[:, 0]))    # N = size / C
        if self.reduction == "sum":
            return -self.reduce_sum(x)
        return -self.reduce_sum(x, -1)
