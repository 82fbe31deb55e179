"""nn.Embedding with MindSpore 2.10's signature, Parameter name and behaviour."""
from .. import dtype as mstype
from .. import ops
from ..common.initializer import initializer
from ..parameter import Parameter
from ..tensor import Tensor
from .cell import Cell


class Embedding(Cell):
    """Looks up rows of `embedding_table` [vocab_size, embedding_size]: ids of any shape
    give ids.shape + [embedding_size]. An id outside [0, vocab_size) gives a zero row,
    as MindSpore's Gather does on CPU. Forward is a gather, the table's gradient a
    scatter-add of the output's gradient. use_one_hot=True (MindSpore: a one-hot matrix
    times the table) gives the same values and gradients, so it takes the same path.
    padding_idx zeroes that row of the initial table (its gradient is not masked,
    as in MindSpore). `dtype` is the table's dtype."""

    def __init__(self, vocab_size, embedding_size, use_one_hot=False, embedding_table="normal",
                 dtype=mstype.float32, padding_idx=None):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("embedding_size", embedding_size)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"For 'Embedding', the type of '{name}' must be int, but got "
                                f"{type(value).__name__}.")
        if not isinstance(use_one_hot, bool):
            raise TypeError(f"For 'Embedding', the type of 'use_one_hot' must be bool, but got "
                            f"{type(use_one_hot).__name__}.")
        self.vocab_size = vocab_size
        self.embedding_size = embedding_size
        self.use_one_hot = use_one_hot
        self.dtype = dtype
        table = initializer(embedding_table, [vocab_size, embedding_size], dtype).asnumpy().copy()
        self.padding_idx = padding_idx
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, int) or \
                    not 0 <= padding_idx <= vocab_size:
                raise ValueError(f"For 'Embedding', the 'padding_idx' must be an int in range [0, {vocab_size}], "
                                 f"but got {padding_idx}.")
            table[padding_idx] = 0
        self.embedding_table = Parameter(Tensor(table), name="embedding_table")
        self.gather = ops.Gather()

    def construct(self, ids):
        safe = ops.clip(ids, 0, self.vocab_size - 1)
        rows = self.gather(self.embedding_table, safe, 0)
        return ops.select(ops.expand_dims(safe == ids, -1), rows, ops.zeros_like(rows))   # out of range: zeros

    def extend_repr(self):
        return (f"vocab_size={self.vocab_size}, embedding_size={self.embedding_size}, use_one_hot={self.use_one_hot}, "
                f"embedding_table={self.embedding_table}, dtype={self.dtype}, padding_idx={self.padding_idx}")


