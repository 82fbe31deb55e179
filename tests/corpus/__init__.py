"""A corpus of small programs written the way users write them (branches, loops,
element-level code, scalar math, calls and cells, array-level code). Each program is
differentiated by s2sgrad and checked against float64 central finite differences,
some also against HIPS autograd (`autograd_twin`), some on their Parameters too.

Each module defines its programs at module level (s2sgrad reads their source) and a
list `CASES` of `Case`s; `all_cases()` collects them in a fixed order."""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np


@dataclass
class Case:
    name: str                               # unique; the pytest id
    program: object                         # a plain function or a Cell instance
    inputs_fn: Callable[[], tuple]          # () -> the inputs (float64 arrays, Python scalars)
    autograd_twin: Optional[Callable] = None    # the same function in autograd.numpy
    check_params: bool = False              # also check the Cell's Parameter gradients
    feature: str = ""                       # filled in from the module's FEATURE when empty


def rng(seed):
    return np.random.default_rng(seed)


def away(x, margin=0.2):
    """Push entries of x at least `margin` away from 0 (for kinks and branch thresholds)."""
    return np.where(x >= 0, x + margin, x - margin)


MODULES = ("branches", "loops", "elements", "scalars", "calls", "arrays", "cells", "combined")


def all_cases():
    import importlib
    cases = []
    for mod_name in MODULES:
        mod = importlib.import_module(f"{__name__}.{mod_name}")
        for case in mod.CASES:
            if not case.feature:
                case.feature = mod.FEATURE
            cases.append(case)
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate corpus case names: {sorted(dup)}"
    return cases
