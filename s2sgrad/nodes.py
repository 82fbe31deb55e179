"""Every gast node the passes build is built here, so the passes read as logic."""
import copy

import gast


def name(id_, store=False):
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None, type_comment=None)


def const(value):
    return gast.Constant(value=value, kind=None)


def clone(node):
    """A fresh copy of an expression; names and constants (most operands) without deepcopy's cost."""
    if type(node) is gast.Name and type(node.ctx) is gast.Load:
        return name(node.id)
    if type(node) is gast.Constant:
        return const(node.value)
    return copy.deepcopy(node)


def unique(base, used):
    """base, or base_1, base_2, ...: the first not in `used`, which it then joins."""
    name, k = base, 0
    while name in used:
        k += 1
        name = f"{base}_{k}"
    used.add(name)
    return name


def tuple_(elts, store=False):
    return gast.Tuple(elts=list(elts), ctx=gast.Store() if store else gast.Load())


def call(func, *args):
    func = name(func) if isinstance(func, str) else func
    return gast.Call(func=func, args=list(args), keywords=[])


def assign(target, value, lineno=None):
    if isinstance(target, str):
        target = name(target, store=True)
    elif isinstance(target, (list, tuple)):
        target = tuple_([name(t, store=True) for t in target], store=True)
    node = gast.Assign(targets=[target], value=value, type_comment=None)
    if lineno is not None:
        node.lineno = lineno
    return node


def ret(value):
    return gast.Return(value=value)


def attribute(value, attr):
    return gast.Attribute(value=value, attr=attr, ctx=gast.Load())


def subscript(value, index):
    return gast.Subscript(value=value, slice=index if isinstance(index, gast.AST) else const(index), ctx=gast.Load())


def shape_of(var, axis=None):
    """`var.shape` or `var.shape[axis]`."""
    node = attribute(name(var) if isinstance(var, str) else var, "shape")
    return node if axis is None else subscript(node, axis)


def literal(value):
    """A Python literal (nested tuples of constants) as a node."""
    if isinstance(value, tuple):
        return tuple_([literal(v) for v in value])
    return const(value)


def function(fname, args, body):
    return gast.FunctionDef(
        name=fname,
        args=gast.arguments(args=[name(a, store=False) for a in args], posonlyargs=[], vararg=None,
                            kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=list(body), decorator_list=[], returns=None, type_comment=None, type_params=[])
