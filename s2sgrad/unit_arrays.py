"""Arrays of shape (1,) computed elementwise, as numbers: W3 written with `Tensor([0.7])` and
`Parameter(Tensor([0.9]))`, as MindSpore users write scalars.

Written with (1,) arrays, each step of W3's loop made about a dozen one-element arrays, and
their tape kept a list of arrays per value: the gradient took 80 times the scalar program's.
Here a float name of shape (1,) whose every binding is an elementwise primitive (or a copy)
of (1,) arrays and numbers becomes a number. Its uses read it as one:
- an elementwise statement binding another such name takes the number;
- a reduction of it over all its elements (np.sum(x), x.sum(), ops.reduce_sum(x), the mean)
  and its element `x[0]` are the number itself;
- an elementwise operation with a larger array takes the number, which broadcasts as the
  (1,) array did;
- anything else (a return, a matrix product, a reduction that keeps the axis, a write)
  reads `reshape(x, (1,))`, made just before.
A (1,) array that stays an array is read as `getitem(a, (0,))` where such a statement takes
it (an argument or a Parameter once, at the top). Values are the same numbers, so results are those of the
program as written. The names in loop headers and branch tests stay arrays.

Runs after analyze, on its avals; the caller analyzes the rewritten function again."""
import gast

from . import nodes as N
from . import primitives as P
from .normalize import statements
from .resolve import NameGen
from .small_vectors import reduces_whole_vector

REDUCE_ALL = {"reduce_sum", "reduce_mean"}


def scalarize(fn, avals, keep=()):
    """Rewrite fn's unit arrays in place (see the module docstring); whether any was. `keep`:
    names that stay arrays (new Parameter values, state.py)."""
    if not any(_unit(aval) for aval in avals.values()):
        return False
    defs, bad = {}, {a.id for a in fn.args.args} | set(keep)
    for stmt in statements(fn.body):
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            header = stmt.iter if isinstance(stmt, gast.For) else stmt.test
            bad |= {n.id for n in N.walk(header) if isinstance(n, gast.Name)}
            bad |= {n.id for n in N.walk(stmt.target) if isinstance(n, gast.Name)} if isinstance(stmt, gast.For) \
                else set()
            continue
        target = _target(stmt)
        if isinstance(stmt, gast.Expr):     # setitem (and custom-bprop markers): every name stays an array
            bad |= {n.id for n in N.walk(stmt) if isinstance(n, gast.Name)}
            continue
        if target is None:          # augmented updates, tuple targets: their names stay arrays
            for node in [getattr(stmt, "target", None)] + list(getattr(stmt, "targets", [])):
                bad |= {n.id for n in N.walk(node) if isinstance(n, gast.Name)} if node is not None else set()
            continue
        defs.setdefault(target, []).append(stmt)
    units = {name for name, stmts in defs.items() if name not in bad and _unit(avals.get(name))
             and all(_elementwise(s, avals) for s in stmts)}
    if not units:
        return False
    names = NameGen()
    names.used |= {n.id for n in N.walk(fn) if isinstance(n, gast.Name)}
    first = {}              # argument -> `a_0 = getitem(a, (0,))`, read once at the top
    _block(fn.body, units, avals, names, {a.id for a in fn.args.args}, first)
    fn.body[0:0] = list(first.values())
    return True


def _unit(aval):
    return isinstance(aval, P.AVal) and aval.shape == (1,) and aval.dtype.kind == "f"


def _target(stmt):
    if (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)
            and not getattr(stmt, "untyped", False)):
        return stmt.targets[0].id
    return None


def _operands(stmt):
    """The operand nodes of `t = prim(operands, attributes)` or `t = name`."""
    value = stmt.value
    if isinstance(value, gast.Name):
        return [value]
    prim = P.TABLE[value.func.id]
    return value.args[:prim.n_in]


def _elementwise(stmt, avals):
    """`t = f(...)` of an elementwise primitive, or a copy, whose operands are (1,) arrays or numbers."""
    value = stmt.value
    if isinstance(value, gast.Name):
        ok = True
    else:
        prim = P.TABLE.get(getattr(value.func, "id", None)) if isinstance(value, gast.Call) else None
        ok = prim is not None and prim.elementwise and not getattr(stmt, "custom", False)
    return ok and all(isinstance(a, gast.Constant) or (
        isinstance(a, gast.Name) and (_unit(avals.get(a.id)) or not isinstance(avals.get(a.id), P.AVal)
                                      or avals[a.id].shape == ()))
        for a in _operands(stmt))


def _reduces_all(stmt, units):
    """`t = reduce_sum(u, axis, False)` (or the mean) of a unit over its one axis."""
    value = stmt.value
    return (isinstance(value, gast.Call) and getattr(value.func, "id", None) in REDUCE_ALL
            and isinstance(value.args[0], gast.Name) and value.args[0].id in units
            and reduces_whole_vector(value.args))


def _reads_element(stmt, units):
    """`t = getitem(u, (0,))` (or -1) of a unit: the number itself."""
    value = stmt.value
    if not (isinstance(value, gast.Call) and getattr(value.func, "id", None) == "getitem"
            and isinstance(value.args[0], gast.Name) and value.args[0].id in units):
        return False
    index = value.args[1].elts if isinstance(value.args[1], gast.Tuple) else [value.args[1]]
    return len(index) == 1 and isinstance(index[0], gast.Constant) and index[0].value in (0, -1) \
        and type(index[0].value) is int


def _broadcasts(stmt, units, avals):
    """An elementwise statement reading a unit and an array of one dimension or more that is not
    a unit: the result's shape is that array's broadcast, with the unit as a number or not."""
    if not (isinstance(stmt.value, gast.Call) and getattr(stmt.value.func, "id", None) in P.TABLE
            and P.TABLE[stmt.value.func.id].elementwise):
        return False
    operands = _operands(stmt)
    return any(isinstance(a, gast.Name) and a.id not in units and isinstance(avals.get(a.id), P.AVal)
               and avals[a.id].ndim >= 1 for a in operands) and \
        not any(isinstance(n, gast.Name) and n.id in units for n in stmt.value.args[len(operands):])


def _block(stmts, units, avals, names, args, first):
    out = []
    for stmt in stmts:
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            _block(stmt.body, units, avals, names, args, first)
            _block(stmt.orelse, units, avals, names, args, first)
            out.append(stmt)
            continue
        target = _target(stmt)
        if target in units:         # the operands that stay arrays are read as numbers
            stmt = N.copy_tree(stmt)        # names are renamed in place: no node shared with another statement
            for operand in _operands(stmt):
                if isinstance(operand, gast.Name) and operand.id not in units and _unit(avals.get(operand.id)):
                    read = N.call("getitem", N.name(operand.id), N.tuple_([N.const(0)]))
                    if operand.id in args:      # never rebound: one read serves every use
                        if operand.id not in first:
                            first[operand.id] = _like(N.assign(names.fresh(f"{operand.id}_0"), read), stmt)
                        number = first[operand.id].targets[0].id
                    else:
                        number = names.fresh(f"{operand.id}_0")
                        out.append(_like(N.assign(number, read), stmt))
                    operand.id = number
            out.append(stmt)
            continue
        if target is not None and (_reduces_all(stmt, units) or _reads_element(stmt, units)):
            dtype = avals[stmt.value.args[0].id].dtype.name
            stmt = N.copy_tree(stmt)
            stmt.value = N.call("cast", stmt.value.args[0], N.name(dtype))
            out.append(stmt)
            continue
        if not any(isinstance(n, gast.Name) and n.id in units for n in N.walk(stmt)):
            out.append(stmt)
            continue
        stmt = N.copy_tree(stmt)
        if target is not None and _broadcasts(stmt, units, avals):
            out.append(stmt)        # against a larger array a number broadcasts as (1,) does
            continue
        read = [n for n in N.walk(stmt) if isinstance(n, gast.Name) and n.id in units
                and isinstance(n.ctx, gast.Load)]
        arrays = {}
        for node in read:           # any other use reads the unit as a (1,) array again
            if node.id not in arrays:
                arrays[node.id] = names.fresh(f"{node.id}_array")
                out.append(_like(N.assign(arrays[node.id], N.call("reshape", N.name(node.id), N.literal((1,)))),
                                 stmt))
            node.id = arrays[node.id]
        out.append(stmt)
    stmts[:] = out


def _like(new, stmt):
    """new at stmt's line, with its no_grad flag."""
    new.lineno = getattr(stmt, "lineno", None)
    if getattr(stmt, "no_grad", False):
        new.no_grad = True
    return new

