"""Code outside the differentiable subset is refused with an S2SGradError subclass
that locates it: the user's file, the line of the offending construct, that line
itself with a caret, and a message naming the construct (DESIGN.md, Errors).

Every offending function lives at module level of this file, and its offending
line carries a `# refused: <case>` marker, from which the expected line number is
computed. The error must come from the first call of
`nn.ForwardValueAndGrad(fn)(inputs)`, which transpiles.
"""
import inspect
import os
import re

import numpy as np
import pytest

from s2sgrad import Parameter, Tensor, nn, ops
from s2sgrad.errors import CompileError, ResolveError, S2SGradError, ShapeError, UnsupportedSyntaxError

THIS_FILE = os.path.abspath(__file__)
with open(THIS_FILE) as _f:
    SOURCE_LINES = _f.read().splitlines()

G = 2.0


def line_numbers(case):
    """1-based numbers of the lines marked `# refused: <case>`."""
    marker = re.compile(rf"#\s*refused:\s*{re.escape(case)}\s*$")
    found = [i + 1 for i, line in enumerate(SOURCE_LINES) if marker.search(line)]
    assert found, f"no line marked for {case}"
    return found


# -- offending functions -----------------------------------------------------------

def f_try(x):
    try:  # refused: try
        y = x * 2.0
    except ValueError:
        y = x
    return y


class _Ctx:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


CTX = _Ctx()


def f_with(x):
    with CTX:  # refused: with
        y = x * 2.0
    return y


def f_yield(x):
    yield x * 2.0  # refused: yield


def f_global(x):
    global G  # refused: global
    return x * G


def _make_nonlocal():
    scale = 2.0

    def f_nonlocal(x):
        nonlocal scale  # refused: nonlocal
        return x * scale
    return f_nonlocal


f_nonlocal = _make_nonlocal()


def f_lambda(x):
    g = lambda v: v * 2.0  # refused: lambda
    return g(x)


NETWORKS = {"lambda": lambda x: x * 2.0}  # refused: lambda as the network


def f_aliased_update(x):
    y = x * 2.0
    z = y
    y += x  # refused: aliased augmented assignment
    return y + z


def _bump(a):
    a += 1.0  # refused: augmented update of a caller's array
    return a


def f_helper_update(x):
    y = _bump(x)
    return y + x


def f_view_read_after_write(x):
    y = x.copy()
    row = y[1]
    y[1, 0] = 3.0 * y[1, 0]  # refused: view read after a write
    return np.sum(row * row)


def f_view_read_next_iteration(x):
    y = x.copy()
    yt = y.T
    total = 0.0
    for i in range(2):
        total += np.sum(yt[0])
        y[i, 0] = 2.0 * x[i, 1]  # refused: view read in the next iteration
    return total


def f_split_unequal(x):
    a, b = np.split(x, 2, axis=1)  # refused: split into unequal parts
    return np.sum(a * b)


def f_split_runtime_sections(x):
    n = x.shape[0]
    parts = np.split(x, n)  # refused: split with runtime sections
    return np.sum(parts[0])


def f_list_append(x):
    terms = []
    for i in range(x.shape[0]):
        terms.append(x[i] * 2.0)  # refused: list append
    return sum(terms)


def f_sum_over_no_axis(x):
    return np.sum(np.sum(x, axis=()) * 2.0)  # refused: sum over no axis


def f_index_array(x):
    return np.sum(x[np.arange(2), 0])  # refused: index array


def f_norm(x):
    return np.linalg.norm(x)  # refused: norm


def f_float_mod(x):
    return np.sum(x % 2.0)  # refused: float modulo


def f_new_axis_after_ellipsis(x):
    return np.sum(x[..., None] * x)  # refused: new axis after an ellipsis


def f_view_update(x):
    m = x * 1.0
    total = x * 0.0
    for i in range(2):
        if i > 0:
            row = m[i]
        else:
            row = m[0, :]
        row += 1.0  # refused: augmented update of a view
        total = total + 1.0
    return np.sum(m) + np.sum(total)


def f_nested_def(x):
    def g(v):  # refused: nested def
        return v * 2.0
    return g(x)


def f_list_comp(x):
    ys = [x * k for k in (1.0, 2.0)]  # refused: list comprehension
    return ys[0] + ys[1]


def f_set_comp(x):
    ks = {k for k in (1.0, 2.0)}  # refused: set comprehension
    return x * len(ks)


def f_dict_comp(x):
    d = {k: x * k for k in (1.0, 2.0)}  # refused: dict comprehension
    return d[1.0]


def f_generator(x):
    return sum(x * k for k in (1.0, 2.0))  # refused: generator expression


def f_del(x):
    y = x * 2.0
    z = y + 1.0
    del y  # refused: del
    return z


def f_raise(x):
    if x.shape[0] > 10:
        raise ValueError("too long")  # refused: raise
    return x * 2.0


def f_assert(x):
    assert x.shape[0] == 3  # refused: assert
    return x * 2.0


def f_import(x):
    import math  # refused: import
    return x * math.pi


def f_dict_display(x):
    d = {"a": x}  # refused: dict display
    return d["a"] * 2.0


def f_set_display(x):
    s = {1.0, 2.0}  # refused: set display
    return x * len(s)


def f_fstring(x):
    name = f"x{x.shape[0]}"  # refused: f-string
    return x * 2.0


def f_walrus(x):
    z = (y := x * 2.0) + 1.0  # refused: walrus
    return z + y


def f_starred_call(x):
    pair = (x, x)
    return np.add(*pair)  # refused: starred call


def f_match(x):
    match x.shape[0]:  # refused: match
        case 3:
            y = x * 2.0
        case _:
            y = x
    return y


def f_print(x):
    y = x * 2.0
    print(y)  # refused: print
    return y


def _recursive_helper(x, n):
    if n == 0:
        return x
    return _recursive_helper(x * 2.0, n - 1)  # refused: recursion


def f_recursion(x):
    return _recursive_helper(x, 2)


class AssignsParameter(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.ones(3)), name="w")

    def construct(self, x):
        self.w = x * 2.0  # refused: attribute assignment
        return x * self.w


def f_write_input(x):
    x[0] = 1.0  # refused: write into input
    return x * 2.0


def f_type_change(x):
    if x.sum() > 0:  # refused: type change
        y = 1.0  # refused: type change
    else:
        y = x  # refused: type change
    return y * x


def f_one_branch_name(x):
    if x.sum() > 0:
        y = x * 2.0
    return y  # refused: one-branch name


def f_loop_over_array(x):
    s = 0.0
    for v in x:  # refused: loop over runtime array
        s = s + v
    return s


def f_unknown_numpy(x):
    u, s, vt = np.linalg.svd(x)  # refused: unknown function
    return s


def f_tensor_method(x):
    return x.cumprod()  # refused: tensor method


# -- the same refusals where they are not in the differentiated function itself ------------

def _helper_with_try(x):
    try:  # refused: try in a helper
        return x * 2.0
    except ValueError:
        return x


def f_calls_helper_with_try(x):
    return _helper_with_try(x) + 1.0


class _PrintingLayer(nn.Cell):
    def construct(self, x):
        print(x)  # refused: print in a sub-cell
        return x * 2.0


class PrintingNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.layer = _PrintingLayer()

    def construct(self, x):
        return self.layer(x) + 1.0


def f_aug_write_input(x):
    x[0] += 1.0  # refused: augmented write into input
    return x * 2.0


def f_alias_write_input(x):
    y = x
    y[1] = 0.0  # refused: write into input through an alias
    return y * 2.0


def f_write_input_view(x):
    y = x[0:2]
    y[0] = 0.0  # refused: write into a view of an input
    return y * 2.0


def f_write_input_in_loop(x):
    for i in range(x.shape[0]):
        x[i] = x[i] * 2.0  # refused: write into input in a loop
    return x


def f_shape_index_out_of_range(x):
    n = x.shape[1]  # refused: shape index out of range
    return x * n


def f_unpack_shape_into_too_few(x):
    n, d = x.shape  # refused: unpack a shape into too few names
    return x * n * d


def f_unpack_shape_into_too_many(x):
    n, d, k = x.shape  # refused: unpack a shape into too many names
    return x * n * d * k


def f_new_axis_after_runtime_index(x):
    acc = x[0, None] * 0.0
    for i in range(x.shape[0]):
        acc = acc + x[i, None]  # refused: new axis after a runtime index
    return acc


def f_new_axis_in_written_index(x):
    y = np.zeros((3, 1))
    y[:, None] = x  # refused: new axis in a written index
    return y


def f_concatenate_a_runtime_axis(x):
    k = 0
    if x.sum() > 0:
        k = 1
    return np.concatenate((x, x), axis=k)  # refused: concatenate along a runtime axis


CONCAT = ops.Concat(0)


def f_concat_given_tensors_not_a_tuple(x):
    return CONCAT(x, x)  # refused: Concat given tensors, not a tuple


def f_variance_with_ddof(x):
    return x.var(ddof=1) * x  # refused: variance with ddof


# -- the table -------------------------------------------------------------------------

X = np.array([0.5, -1.0, 2.0])
X2 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
SYNTAX = (UnsupportedSyntaxError,)

# case (the marker), network, input, accepted error classes, words that name the construct (any one)
def f_return_in_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
        if s > 1.0:
            return s  # refused: return in loop
    return s


CASES = [
    ("return in loop", f_return_in_loop, X, SYNTAX, ["return inside a loop"]),
    ("try", f_try, X, SYNTAX, ["try"]),
    ("with", f_with, X, SYNTAX, ["with"]),
    ("yield", f_yield, X, SYNTAX, ["yield"]),
    ("global", f_global, X, SYNTAX, ["global"]),
    ("nonlocal", f_nonlocal, X, SYNTAX, ["nonlocal"]),
    ("lambda", f_lambda, X, SYNTAX, ["lambda"]),
    ("lambda as the network", NETWORKS["lambda"], X, SYNTAX, ["lambda"]),
    ("aliased augmented assignment", f_aliased_update, X, SYNTAX, ["shares its array"]),
    ("augmented update of a view", f_view_update, X2, SYNTAX, ["shares its array"]),
    ("split into unequal parts", f_split_unequal, X2, (ShapeError,), ["size 3 does not split into 2 equal parts"]),
    ("split with runtime sections", f_split_runtime_sections, X2, SYNTAX, ["np.split takes a constant number"]),
    ("float modulo", f_float_mod, X, (ShapeError,), ["% of float64 values is not supported"]),
    ("list append", f_list_append, X, (ResolveError,), ["a list cannot grow", "terms[k] = term"]),
    ("norm", f_norm, X, (ResolveError,), ["call to norm", "np.sqrt(np.sum(d * d))"]),
    ("index array", f_index_array, X2, (ResolveError,), ["call to arange"]),
    ("sum over no axis", f_sum_over_no_axis, X, (ResolveError, UnsupportedSyntaxError), ["axis=()"]),
    ("new axis after an ellipsis", f_new_axis_after_ellipsis, X2, SYNTAX, ["a new axis (None) after `...`"]),
    ("view read after a write", f_view_read_after_write, X2, SYNTAX, ["`row` views the array this line writes"]),
    ("view read in the next iteration", f_view_read_next_iteration, X2, SYNTAX, ["`yt` views the array"]),
    ("augmented update of a caller's array", f_helper_update, X, SYNTAX, ["shares its array"]),
    ("nested def", f_nested_def, X, SYNTAX, ["nested def", "nested function"]),
    ("list comprehension", f_list_comp, X, SYNTAX, ["list comprehension"]),
    ("set comprehension", f_set_comp, X, SYNTAX, ["set comprehension"]),
    ("dict comprehension", f_dict_comp, X, SYNTAX, ["dict comprehension"]),
    ("generator expression", f_generator, X, SYNTAX, ["generator expression"]),
    ("del", f_del, X, SYNTAX, ["del"]),
    ("raise", f_raise, X, SYNTAX, ["raise"]),
    ("assert", f_assert, X, SYNTAX, ["assert"]),
    ("import", f_import, X, SYNTAX, ["import"]),
    ("dict display", f_dict_display, X, SYNTAX, ["dict"]),
    ("set display", f_set_display, X, SYNTAX, ["set"]),
    ("f-string", f_fstring, X, SYNTAX, ["f-string"]),
    ("walrus", f_walrus, X, SYNTAX, [":="]),
    ("starred call", f_starred_call, X, SYNTAX, ["*-unpacking", "*args", "unpacking"]),
    ("match", f_match, X, SYNTAX, ["match"]),
    ("print", f_print, X, (ResolveError,), ["print"]),
    ("recursion", f_recursion, X, (UnsupportedSyntaxError, ResolveError), ["recursive", "recursion"]),
    ("attribute assignment", AssignsParameter(), X, SYNTAX, ["attribute", "Parameter"]),
    ("write into input", f_write_input, X, SYNTAX, ["writing into `x`", "input"]),
    ("type change", f_type_change, X, (UnsupportedSyntaxError, ShapeError), ["type"]),
    ("one-branch name", f_one_branch_name, X, (ResolveError, UnsupportedSyntaxError), ["`y`", "'y'"]),
    ("loop over runtime array", f_loop_over_array, X, SYNTAX, ["loop over a runtime"]),
    ("unknown function", f_unknown_numpy, X2, (ResolveError,), ["svd"]),
    ("tensor method", f_tensor_method, X, (ResolveError,), ["cumprod"]),
    # located where they are, not where the differentiated function calls them
    ("try in a helper", f_calls_helper_with_try, X, SYNTAX, ["try"]),
    ("print in a sub-cell", PrintingNet(), X, (ResolveError,), ["print"]),
    ("augmented write into input", f_aug_write_input, X, SYNTAX, ["writing into `x`", "input"]),
    ("write into input through an alias", f_alias_write_input, X, SYNTAX, ["writing into", "input"]),
    ("write into a view of an input", f_write_input_view, X, SYNTAX, ["writing into", "input"]),
    ("write into input in a loop", f_write_input_in_loop, X, SYNTAX, ["writing into `x`", "input"]),
    # Python's IndexError and ValueError, as errors at the line
    ("shape index out of range", f_shape_index_out_of_range, X, (ShapeError,), ["out of range"]),
    ("unpack a shape into too few names", f_unpack_shape_into_too_few, np.zeros((2, 2, 2)), (ShapeError,),
     ["3 dimensions, into 2 names"]),
    ("unpack a shape into too many names", f_unpack_shape_into_too_many, X2, (ShapeError,),
     ["2 dimensions, into 3 names"]),
    ("new axis after a runtime index", f_new_axis_after_runtime_index, np.ones((20, 3)), SYNTAX, ["new axis"]),
    ("new axis in a written index", f_new_axis_in_written_index, X, SYNTAX, ["index None"]),
    ("concatenate along a runtime axis", f_concatenate_a_runtime_axis, X2, SYNTAX, ["constant integer axis"]),
    ("variance with ddof", f_variance_with_ddof, X, SYNTAX, ["ddof"]),
    ("Concat given tensors, not a tuple", f_concat_given_tensors_not_a_tuple, X, (ResolveError,), ["one tuple"]),
]


@pytest.mark.parametrize("case,network,x,classes,words", CASES, ids=[c[0] for c in CASES])
def test_refused_construct_is_located(case, network, x, classes, words):
    grad_fn = nn.ForwardValueAndGrad(network)
    with pytest.raises(S2SGradError) as info:
        grad_fn(Tensor(x))
    err = info.value
    message = str(err)
    assert type(err) in classes, f"{type(err).__name__} is not one of {[c.__name__ for c in classes]}:\n{message}"
    assert not isinstance(err, CompileError), f"refused only by Numba:\n{message}"
    lines = line_numbers(case)
    located = [n for n in lines if f"{THIS_FILE}:{n}:" in message]
    assert located, f"message does not point at {THIS_FILE}:{lines}:\n{message}"
    shown = SOURCE_LINES[located[0] - 1].strip()
    rendered = message.splitlines()
    assert any(r.strip() == shown for r in rendered), f"message does not show line {located[0]}:\n{message}"
    at = [r.strip() for r in rendered].index(shown)
    assert at + 1 < len(rendered) and rendered[at + 1].strip() == "^", f"no caret under the line:\n{message}"
    head = rendered[0].split(f"{THIS_FILE}:{located[0]}:", 1)[1]
    assert any(w.lower() in head.lower() for w in words), f"message does not name {case!r} ({words}):\n{message}"


def test_markers_are_unique_per_case():
    # a guard on this file: every case's marker exists, and only the type change has several lines
    for case, *_ in CASES:
        assert len(line_numbers(case)) == (3 if case == "type change" else 1), case


def test_source_file_is_this_file():
    assert os.path.abspath(inspect.getsourcefile(f_try)) == THIS_FILE


@pytest.mark.parametrize("network,x,hint", [(f_norm, X, "np.sqrt(np.sum(d * d))"),
                                            (f_index_array, X2, "ops.SoftmaxCrossEntropyWithLogits(sparse=True)"),
                                            (f_list_append, X, "terms[k] = term")])
def test_a_refusal_with_a_usual_rewrite_names_it(network, x, hint):
    with pytest.raises(S2SGradError) as info:
        nn.ForwardValueAndGrad(network)(Tensor(x))
    assert hint in str(info.value).split("hint:", 1)[1]
