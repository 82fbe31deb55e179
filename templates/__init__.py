"""Adjoint templates: the derivative of every primitive, as readable Python.

Contract (read by `s2sgrad/reverse.py`, never executed):
- `@adjoint(P.<primitive>)` on `def <primitive>(z, <operands>, <attributes>)`, with the
  operand and attribute names of the primitive table. `z` is the primal result; for a
  primitive with several results they are `z[0]`, `z[1]`, ...
- Each statement is `d[x] = <expression>`: the contribution of this use of `x` to its
  adjoint. `d[z]` is the incoming adjoint of the result. The reverse stage adds
  contributions from several uses and skips operands that need no gradient.
- Expressions use operators and primitive names, so the result is itself
  differentiable. `unbroadcast(g, x)` sums `g` back to x's shape; every
  broadcasting rule uses it.
- `if` on an attribute is folded when the template is spliced in.
- An operand with no derivative says so: `d[x] = zeros_like(x)`.
"""
import importlib

TEMPLATES = {}


def adjoint(prim):
    """Register the decorated function as the adjoint template of `prim`."""
    def register(fn):
        TEMPLATES[prim.name] = fn
        return fn
    return register


class _Adjoints:
    """`d[x]` in templates; exists so the template modules import cleanly."""

    def __getitem__(self, key):
        raise RuntimeError("adjoint templates are spliced into generated code, not called")

    __setitem__ = __getitem__


d = _Adjoints()


def load_all():
    for module in ("math_ops", "array_ops", "nn_ops", "element_ops", "conv_ops", "norm_ops"):
        importlib.import_module(f"{__name__}.{module}")
    return TEMPLATES
