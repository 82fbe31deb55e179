"""Checkpointed loops: trade recomputation for tape memory.

`for i in checkpointed(range(n), every=k):` differentiates like `for i in range(n):`,
but the backward does not keep a tape of all n iterations. Resolve splits the loop
into segments of k iterations (an outer loop over segment starts around the user's
loop over one segment). The forward runs the segments untaped and saves only the
values each segment starts from (the variables the loop carries); the backward
walks the segments last to first, recomputes one segment from its saved start with
taping, and reverses it. Memory: about n/k saved starts plus one segment's tape
(k iterations) instead of n iterations' tape; time: one extra forward run.
`every` defaults to ceil(sqrt(n)) when n is known while resolving, the choice that
minimises the sum of the two.

Run eagerly (outside s2sgrad), `checkpointed` returns its range unchanged.
"""
import math


def checkpointed(iterable, every=None):
    """Mark a `for` loop over `range(...)` for checkpointing every `every` iterations."""
    if every is not None and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
        raise ValueError(f"checkpointed(..., every={every!r}): every must be a positive int")
    return iterable


def default_every(trips):
    """Segment length minimising saved starts plus one segment's tape."""
    return max(1, math.isqrt(max(trips, 1) - 1) + 1)
