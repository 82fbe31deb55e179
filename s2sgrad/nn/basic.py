"""nn.Flatten: dims start_dim..end_dim merged into one (MindSpore 2.10's defaults
flatten everything but the batch axis)."""
from .. import ops
from .cell import Cell


class Flatten(Cell):
    """[N, d1, d2, ...] -> [N, d1 * d2 * ...] with the defaults."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        for name, value in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"For 'Flatten', the type of '{name}' must be int, but got {type(value).__name__}.")
        self.start_dim = start_dim
        self.end_dim = end_dim

    def construct(self, x):
        return ops.flatten(x, start_dim=self.start_dim, end_dim=self.end_dim)
