"""Every gast node the passes build is built here, so the passes read as logic."""
import copy

import gast


def _node(cls, **fields):
    """cls(**fields) without gast's constructor, which only copies its keywords into the
    node's dict (the passes build thousands of nodes per program)."""
    node = cls.__new__(cls)
    node.__dict__.update(fields)
    return node


def _ctx(store):
    return _node(gast.Store) if store else _node(gast.Load)


def name(id_, store=False):
    return _node(gast.Name, id=id_, ctx=_ctx(store), annotation=None, type_comment=None)


def const(value):
    return _node(gast.Constant, value=value, kind=None)


def clone(node):
    """A fresh copy of an expression; names and constants (most operands) without deepcopy's cost."""
    if type(node) is gast.Name and type(node.ctx) is gast.Load:
        return name(node.id)
    if type(node) is gast.Constant:
        return const(node.value)
    return copy_tree(node)


# Values copy.deepcopy returns as they are.
_ATOMIC = frozenset({type(None), bool, int, float, complex, str, bytes})


def copy_tree(tree):
    """copy.deepcopy(tree) for a tree of gast nodes and lists (several times faster): the same
    copy, shared nodes staying shared; any other value inside goes through deepcopy itself."""
    return _copy(tree, {})


def _copy(x, memo):
    cls = type(x)
    if cls in _ATOMIC:
        return x
    y = memo.get(id(x))
    if y is not None:
        return y
    if cls is list:
        y = memo[id(x)] = []
        y.extend([_copy(v, memo) for v in x])
    elif isinstance(x, gast.AST):
        y = memo[id(x)] = cls.__new__(cls)    # deepcopy calls cls() (AST.__reduce__), which sets nothing
        y.__dict__.update({k: _copy(v, memo) for k, v in x.__dict__.items()})
    else:
        y = copy.deepcopy(x, memo)
    return y


# fields nodes_of skips: strings, and a name's ctx (read through the name itself); per node
# class, the fields left
_NOT_READ = {"ctx", "id", "attr", "arg", "kind", "type_comment", "level", "module"}
_READ_FIELDS = {}


def nodes_of(tree):
    """list(walk(tree)) without expression contexts (Load, Store), for readers that do not
    change the tree; without a generator (the passes ask for the names in small statements
    thousands of times per program)."""
    out = [tree]
    fields_of = _READ_FIELDS
    for node in out:            # the list grows while it is read: breadth-first, as walk
        cls = node.__class__
        names = fields_of.get(cls)
        if names is None:
            names = fields_of[cls] = tuple(f for f in cls._fields if f not in _NOT_READ)
        fields = node.__dict__
        for field in names:
            value = fields.get(field)
            if value.__class__ is list:
                out += [v for v in value if isinstance(v, gast.AST)]
            elif isinstance(value, gast.AST):
                out.append(value)
    return out


def walk(tree):
    """gast.walk(tree) (breadth-first, fields in order), without ast.iter_child_nodes' generators."""
    todo = [tree]
    for node in todo:           # the list grows while it is read: breadth-first
        fields = node.__dict__
        for field in node._fields:      # read before the node is yielded, as ast.walk does
            value = fields.get(field)
            if isinstance(value, list):
                todo.extend([v for v in value if isinstance(v, gast.AST)])
            elif isinstance(value, gast.AST):
                todo.append(value)
        yield node


def replace_children(tree, convert):
    """tree, changed in place: every child node at any depth, in a field or a list, replaced
    by convert(child) where that returns another node (the replacement is not walked)."""
    for node in walk(tree):         # walk queues a node's children before they are replaced
        fields = node.__dict__
        for field in node._fields:
            value = fields.get(field)
            if isinstance(value, list):
                fields[field] = [convert(v) for v in value]
            elif value is not None:
                new = convert(value)
                if new is not value:
                    fields[field] = new
    return tree


def unique(base, used, counters=None):
    """base, or base_1, base_2, ...: the first not in `used`, which it then joins. `counters`
    (base -> the first suffix not yet tried) spares a generator of many `_e`s rescanning the
    suffixes it took before: `used` only grows, so the name found is the same."""
    k = counters.get(base, 0) if counters is not None else 0
    name = base if k == 0 else f"{base}_{k}"
    while name in used:
        k += 1
        name = f"{base}_{k}"
    used.add(name)
    if counters is not None:
        counters[base] = k + 1
    return name


def tuple_(elts, store=False):
    return _node(gast.Tuple, elts=list(elts), ctx=_ctx(store))


def call(func, *args):
    func = name(func) if isinstance(func, str) else func
    return _node(gast.Call, func=func, args=list(args), keywords=[])


def assign(target, value, lineno=None):
    if isinstance(target, str):
        target = name(target, store=True)
    elif isinstance(target, (list, tuple)):
        target = tuple_([name(t, store=True) for t in target], store=True)
    node = _node(gast.Assign, targets=[target], value=value, type_comment=None)
    if lineno is not None:
        node.lineno = lineno
    return node


def ret(value):
    return _node(gast.Return, value=value)


def attribute(value, attr):
    return _node(gast.Attribute, value=value, attr=attr, ctx=_ctx(False))


def subscript(value, index):
    return _node(gast.Subscript, value=value, slice=index if isinstance(index, gast.AST) else const(index),
                 ctx=_ctx(False))


def shape_of(var, axis=None):
    """`var.shape` or `var.shape[axis]`."""
    node = attribute(name(var) if isinstance(var, str) else var, "shape")
    return node if axis is None else subscript(node, axis)


def literal(value):
    """A Python literal (nested tuples of constants, slices of them) as a node."""
    if isinstance(value, tuple):
        return tuple_([literal(v) for v in value])
    if isinstance(value, slice):
        return _node(gast.Slice, **{k: None if v is None else const(v)
                                    for k, v in zip(("lower", "upper", "step"), (value.start, value.stop, value.step))})
    return const(value)


def function(fname, args, body):
    return gast.FunctionDef(
        name=fname,
        args=gast.arguments(args=[name(a, store=False) for a in args], posonlyargs=[], vararg=None,
                            kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=list(body), decorator_list=[], returns=None, type_comment=None, type_params=[])


def untyped(stmt):
    """Tape, counter and other generated statements: emitted as they are, never typed or lowered."""
    stmt.untyped = True
    return stmt
