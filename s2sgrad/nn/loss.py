"""Loss cells with MindSpore 2.10's reductions and gradient semantics."""
from .. import ops
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
