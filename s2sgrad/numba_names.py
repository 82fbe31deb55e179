"""Local names in the cpu target's text that Numba's array expressions cannot confuse.

Numba gives a variable assigned more than once versions `x.1`, `x.2`, ...; when it fuses
array operators into one loop (numba.np.ufunc.array_exprs) it spells each operand's name
with `.` as `_` plus a counter, so version 1 of `d_x` and a variable `d_x_1` both become
`d_x_1_1`, and Numba stops with "AssertionError: 'd_x_1_1' not unique". Generated names
often have that shape (the adjoint `d_x_1` of `x_1` next to an accumulated `d_x`). So in
each function of the text a local `B_<digits>`, where the function assigns B more than
once, gets a trailing `_`: no version of any name is spelled with `_` before its digits
twice in a row. Names change in place, so the lines (and the line map) stay as they were."""
import re

import gast

from .inplace import may_be_array

_VERSIONED = re.compile(r"^(.*)_\d+$")
_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")      # not an attribute (`x.shape`)


def safe_names(text, functions, avals):
    """`text` with the renames the module docstring describes. functions: {function name:
    (argument names, statements)} for the functions the text defines; avals: what is known
    of their names (array expressions take arrays only, so two numbers never collide)."""
    renames = {}
    for name, (args, stmts) in functions.items():
        found = _renames(args, stmts, avals)
        if found:
            renames[name] = found
    if not renames:
        return text
    lines = text.splitlines(True)
    names = None
    for i, line in enumerate(lines):
        if line.startswith("def "):
            names = renames.get(line[4:line.index("(")])
        if names and not line.lstrip().startswith("#"):
            lines[i] = _NAME.sub(lambda m: names.get(m.group(0), m.group(0)), line)
    return "".join(lines)


def _stores(stmts, counts):
    """Count how often each name is bound by stmts (assignments, augmented ones, loop targets)."""
    for stmt in stmts:
        if isinstance(stmt, gast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, (gast.AugAssign, gast.For)):
            targets = [stmt.target]
        else:
            targets = []
        for target in targets:
            for node in target.elts if isinstance(target, gast.Tuple) else [target]:
                if isinstance(node, gast.Name):
                    counts[node.id] = counts.get(node.id, 0) + 1
        if isinstance(stmt, (gast.For, gast.While, gast.If)):
            _stores(stmt.body, counts)
            _stores(stmt.orelse, counts)
    return counts


def _renames(args, stmts, avals):
    counts = _stores(stmts, {})
    local = set(args) | set(counts)
    renames = {}
    for name in sorted(local):
        m = _VERSIONED.match(name)
        if (m and counts.get(m.group(1), 0) > 1
                and may_be_array(avals.get(name)) and may_be_array(avals.get(m.group(1)))):
            new = name + "_"
            while new in local:
                new += "_"
            renames[name] = new
    return renames
