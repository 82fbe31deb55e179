"""nn.Dropout with MindSpore 2.10's signature, validation and training/eval behaviour."""
from .. import ops
from .cell import Cell


class Dropout(Cell):
    """Zeroes each element with probability p = 1 - keep_prob while training and scales
    the rest by 1/keep_prob; the identity when not training (`set_train(False)`, a
    Cell's default). `p`, when given, takes precedence over the deprecated keep_prob.
    The mask is drawn inside the compiled forward and kept for the backward, which
    multiplies by the same mask / keep_prob; `s2sgrad.set_seed` makes it reproducible."""

    def __init__(self, keep_prob=0.5, p=None, dtype=None):
        super().__init__()
        if p is None:
            if isinstance(keep_prob, bool) or not isinstance(keep_prob, float):
                raise TypeError(f"For 'Dropout', the 'keep_prob' must be float, but got "
                                f"{type(keep_prob).__name__}.")
            if not 0 < keep_prob <= 1:
                raise ValueError(f"For 'Dropout', the 'keep_prob' must be a number in range (0, 1], "
                                 f"but got {keep_prob}.")
            self.keep_prob = keep_prob
        else:
            if isinstance(p, bool) or not isinstance(p, (float, int)):
                raise TypeError(f"For 'Dropout', the 'p' must be float or int, but got {type(p).__name__}.")
            if not 0 <= p < 1:
                raise ValueError(f"For 'Dropout', the 'p' must be a number in range [0, 1), but got {p}.")
            self.keep_prob = 1.0 - p
        self.p = p
        self.dropout = ops.Dropout(keep_prob=self.keep_prob)

    def construct(self, x):
        if not self.training or self.keep_prob == 1.0:
            return x
        out, _ = self.dropout(x)
        return out

    def extend_repr(self):
        return f"keep_prob={self.keep_prob}" if self.p is None else f"p={self.p}"
