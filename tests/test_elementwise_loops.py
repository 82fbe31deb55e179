"""Runs of elementwise statements become loop nests on the cpu target
(s2sgrad/elementwise_loops.py).

The pass is checked two ways: on statement lists, where the fused statements run as
plain Python against the same statements run with NumPy (random programs with
broadcasting, views, reductions and rebound names among them), and through the API,
where compiled gradients of fused programs meet central differences and the uncompiled
(unfused) program."""
import ast
import re

import gast
import numpy as np
import pytest

import s2sgrad
from s2sgrad import Tensor, nn
from s2sgrad import backend
from s2sgrad.chains import Names
from s2sgrad.codegen import to_source
from s2sgrad.elementwise_loops import fuse_function
from s2sgrad.primitives import AVal

from gradcheck import check_grads_compiled_too


def fused(program, env, live):
    """The fused statements of program, followed by a read of the names in live (the only
    names read after the run), and whether anything was fused."""
    program += f"keep = ({', '.join(live)},)\n"
    stmts = gast.parse(program).body
    out, changed = fuse_function(stmts, typed(env, program), Names(stmts))
    return "\n".join(to_source(s) for s in out), changed


def run(text, env):
    scope = dict(backend.NAMESPACE, divide=np.divide, float32=np.float32, float64=np.float64)
    scope.update({k: v.copy() if isinstance(v, np.ndarray) else v for k, v in env.items()})
    with np.errstate(all="ignore"):
        exec(text, scope)
    return scope


def typed(env, program):
    """avals of the inputs and of every name the program assigns (its last value's, as the typer gives)."""
    scope = run(program, env)
    names = {t.id for s in gast.walk(gast.parse(program)) for t in getattr(s, "targets", [])
             if isinstance(t, gast.Name)}
    values = {**env, **{n: scope[n] for n in names}}
    return {k: AVal(v.dtype, v.shape) if isinstance(v, (np.ndarray, np.generic)) else type(v)
            for k, v in values.items()}


def assert_same(program, env, live, text):
    want, got = run(program, env), run(text, env)
    for name in live:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-13, atol=1e-13, err_msg=name)
        assert np.asarray(got[name]).dtype == np.asarray(want[name]).dtype, name
        assert np.shape(got[name]) == np.shape(want[name]), name


RNG = np.random.default_rng(3)
ENV = {"a": RNG.standard_normal((4, 3, 5)), "b": RNG.standard_normal((3, 5)), "c": RNG.standard_normal((4, 3, 1)),
       "v": RNG.standard_normal(5), "m": RNG.standard_normal((4, 3)), "k": 0.5}


def test_a_run_becomes_one_loop_nest_storing_only_what_is_read_after():
    program = ("t = a * b\n"
               "u = t + c\n"
               "w = exp(-u) * float64(0.5)\n"
               "s = sum_axis(w * t, 2)\n"
               "out = s + m\n")
    text, changed = fused(program, ENV, ["out"])
    assert changed
    assert text.count("for ") == 3 and text.count("empty(") == 0, text   # t, u, w live only in the loop
    assert "zeros((_n0, _n1), float64)" in text and "out = s + m" in text, text
    assert "_n0 = a.shape[0]" in text and "if b.shape != (_n1, _n2):" in text, text   # sizes read, not written
    assert_same(program, ENV, ["out", "s"], text)


def test_a_single_statement_is_left_to_numba():
    program = "t = a * b + c\nout = t\n"
    text, changed = fused(program, ENV, ["out"])
    assert not changed and "for " not in text


def test_views_broadcast_into_the_run():
    program = ("t = broadcast_to(expand_dims(m, 2), (4, 3, 5)) * a\n"
               "u = t * expand_dims(m, 2) - v\n"
               "out = sum_axis_keep(u, 0)\n"
               "tot = sum_all(u * u)\n")
    text, changed = fused(program, ENV, ["u", "out", "tot"])
    assert changed and "m[_i0, _i1]" in text, text
    assert_same(program, ENV, ["u", "out", "tot"], text)


def test_division_gives_inf_as_arrays_do():
    env = dict(ENV, z=np.where(RNG.random((4, 3, 5)) < 0.3, 0.0, 1.5))
    program = "t = a / z\nu = t * t\nout = u + z\n"
    text, changed = fused(program, env, ["out"])
    assert changed and "divide(" in text
    got = run(text, env)
    assert np.isinf(got["out"]).any()
    assert_same(program, env, ["out"], text)


def test_float32_stays_float32():
    env = {"p": RNG.standard_normal((6, 7)).astype(np.float32), "q": RNG.standard_normal(7).astype(np.float32)}
    program = "t = tanh(p * q)\nu = sigmoid(t) * float32(2)\nout = sum_axis(u, 0)\n"
    text, changed = fused(program, env, ["out"])
    assert changed and "float32(" in text
    got = run(text, env)
    assert got["out"].dtype == np.float32
    want = run(program, env)["out"]
    np.testing.assert_allclose(got["out"], want, rtol=2e-6)


def test_a_statement_reading_a_sum_ends_the_run():
    program = ("t = a * a\n"
               "s = sum_axis(t, 0)\n"
               "u = t * s\n"            # reads the sum, which exists only after the loop
               "w = u + a\n"
               "out = sum_all(w)\n")
    text, changed = fused(program, ENV, ["s", "out"])
    assert changed and text.count("for _i0") == 2, text
    assert_same(program, ENV, ["s", "out"], text)


def test_rebound_names_read_their_value_at_each_point():
    program = ("t = a * b\n"
               "a = t + a\n"             # a rebound: later reads see the new value
               "u = a * c\n"
               "s = sum_axis(u, 1) + k\n"
               "t = u - t\n")
    text, changed = fused(program, ENV, ["a", "u", "s", "t"])
    assert changed
    assert_same(program, ENV, ["a", "u", "s", "t"], text)


def test_statements_independent_of_the_run_move_before_it():
    program = ("t = a * b\n"
               "g = m + m\n"             # (4, 3): not of the run, and shares no name with it
               "u = t * t\n"
               "out = sum_axis(u, 2) + g\n")
    text, changed = fused(program, ENV, ["out", "g"])
    assert changed and text.index("g = m + m") < text.index("for "), text
    assert_same(program, ENV, ["out", "g"], text)


def test_a_post_statement_reading_a_name_the_run_rebinds_later_ends_the_run():
    program = ("t = a * b\n"
               "s = sum_axis(t, 0) + a[0]\n"
               "a = t * t\n"             # the statement after the loop reads a: not fused with it
               "out = a + t\n")
    text, changed = fused(program, ENV, ["s", "a", "out"])
    assert changed and text.count("for _i0") == 2, text
    assert text.index("s = _r + a[0]") < text.rindex("for _i0"), text
    assert_same(program, ENV, ["s", "a", "out"], text)


def test_statements_that_move_before_a_run_are_fused_among_themselves():
    program = ("t = a * b\n"
               "p = m * m\n"             # p, q and w move before the run of t and u;
               "q = p + m\n"             # p and q make a run of their own, which w ends
               "w = p[0]\n"
               "u = t * t\n"
               "s = sum_axis(u, 2) + q\n"
               "out = s + w\n")
    text, changed = fused(program, ENV, ["out", "q"])
    assert changed and text.count("for _i0") == 2, text
    assert text.index("q = _o") < text.index("w = p[0]") < text.index("for _i0_1"), text
    assert_same(program, ENV, ["out", "q"], text)


def test_a_value_read_only_by_the_statement_after_the_loop_is_stored():
    program = ("t = a * b\n"
               "u = t * t\n"
               "s = sum_axis(u, 0) + t[0]\n")     # t is read after the loop, by the sum's statement
    text, changed = fused(program, ENV, ["s"])
    assert changed and text.count("empty(") == 1, text
    assert_same(program, ENV, ["s"], text)


ACC_ENV = dict(ENV, g=RNG.standard_normal((4, 6)), q=RNG.standard_normal((4, 3)))


def test_adds_into_slices_of_a_new_array_join_the_run():
    program = ("z = zeros_like(g)\n"
               "t = q * q\n"
               "z[:, 0:3] += t\n"
               "z[:, 3:6] += t * q\n"
               "z[:, 3:6] += q\n")
    text, changed = fused(program, ACC_ENV, ["z"])
    assert changed and text.count("for _i0") == 1 and "z[_i0, _i1 + 3] += float64(" in text, text
    assert_same(program, ACC_ENV, ["z"], text)


def test_adds_into_an_array_another_name_holds_stay_outside_the_loop():
    program = ("z = zeros_like(g)\n"
               "y = z\n"                 # y is z's object: adding into z changes y
               "t = q * q\n"
               "u = t * q\n"
               "z[:, 0:3] += t\n"
               "w = y[:, 0:3] * u\n")
    text, changed = fused(program, ACC_ENV, ["w", "z"])
    assert changed and "z[_i0" not in text and "z[:, 0:3] += t" in text, text
    assert_same(program, ACC_ENV, ["w", "z"], text)


def test_reading_an_array_the_run_adds_into_ends_the_run():
    program = ("z = zeros_like(g)\n"
               "t = q * q\n"
               "z[:, 0:3] += t\n"
               "u = z[:, 1:4] * t\n"     # reads elements other statements of a run would add to
               "v = u + t\n")
    text, changed = fused(program, ACC_ENV, ["v", "z"])
    assert_same(program, ACC_ENV, ["v", "z"], text)
    assert text.index("z[_i0, _i1] += ") < text.index("for _i0_1 in"), text    # two loops, the add first


OPERANDS = ["a", "b", "c", "v", "expand_dims(m, 2)", "broadcast_to(v, (4, 3, 5))", "float64(1.5)", "k"]


def random_program(rng, length):
    """Statements over shape (4, 3, 5): binary and unary elementwise operations on inputs, on
    names assigned before and views, sometimes rebinding the input a, with sums among them."""
    assigned, lines = [], []
    for i in range(length):
        pick = lambda: rng.choice(OPERANDS + assigned * 2) if assigned else rng.choice(OPERANDS)
        x, y = pick(), pick()
        if not ({x, y} & ({"a", "broadcast_to(v, (4, 3, 5))"} | set(assigned))):
            y = "a"                  # every value has the whole shape, as in a run
        kind = rng.integers(8)
        if kind < 4:
            expr = f"{x} {'+-*/'[kind]} {y}"
        elif kind == 4:
            expr = f"{rng.choice(['exp', 'tanh', 'sigmoid', 'relu', 'square'])}(a * float64(0.1) + {x} * float64(0.1))"
        elif kind == 5:
            expr = f"maximum({x}, {y}) + a"
        elif kind == 6:
            expr = f"sum_axis(a * {x}, {rng.integers(3)}) + float64(1)"
        else:
            expr = f"-({x}) + {y}"
        target = "a" if rng.random() < 0.15 and kind != 6 else f"n{i}"     # a keeps its shape
        lines.append(f"{target} = {expr}")
        if kind != 6 and target != "a":
            assigned.append(target)
    return "\n".join(lines) + "\n", [ln.split(" = ")[0] for ln in lines]


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_compute_what_numpy_computes(seed):
    rng = np.random.default_rng(seed)
    program, targets = random_program(rng, int(rng.integers(3, 9)))
    live = sorted(set(rng.choice(targets, size=2)) | {"a"})
    text, _ = fused(program, ENV, live)
    assert_same(program, ENV, live, text)


@pytest.mark.parametrize("seed", range(40, 70))
def test_random_programs_in_a_loop_compute_what_numpy_computes(seed):
    """The same programs as a loop's body: a is carried from one iteration to the next."""
    rng = np.random.default_rng(seed)
    program, targets = random_program(rng, int(rng.integers(3, 9)))
    program = "for it in range(3):\n" + "".join("    " + line + "\n" for line in program.splitlines())
    live = sorted(set(rng.choice(targets, size=2)) | {"a"})
    text, _ = fused(program, ENV, live)
    assert_same(program, ENV, live, text)


def test_a_loop_body_stores_what_the_next_iteration_or_later_code_reads():
    program = ("h = a\n"
               "for i in range(3):\n"
               "    t = h * b\n"
               "    h = t + c\n"          # read by the next iteration's first statement
               "    u = t * t\n"          # read after the loop
               "    w = u - t\n"          # read by nothing else: stays a scalar
               "s = u + h\n")
    text, changed = fused(program, ENV, ["s"])
    assert changed and text.count("empty(") == 2, text
    assert_same(program, ENV, ["s", "h", "u"], text)


def test_slices_and_aliases_join_a_run():
    env = dict(ENV, g=RNG.standard_normal((4, 6)), q=RNG.standard_normal((4, 3)))
    program = ("i = sigmoid(g[:, 0:3])\n"
               "f = tanh(g[:, 3:6]) * q\n"
               "d = f\n"                 # an alias: both names get the one stored array
               "e = i * d + g[:, 2:5]\n")
    text, changed = fused(program, env, ["d", "f", "e"])
    assert changed and "g[_i0, _i1 + 3]" in text and text.count("empty(") == 2, text
    assert "if g.shape != (_n0, 6):" in text, text
    got = run(text, env)
    assert got["d"] is got["f"]
    assert_same(program, env, ["d", "f", "e"], text)


# -- through the API: compiled (fused) against central differences and the python target

def gmm_like(x, means, q):
    n = x.shape[0]
    d = x.shape[1]
    k = means.shape[0]
    xc = x.reshape(n, 1, d) - means.reshape(1, k, d)
    lx = q * xc
    inner = -0.5 * np.sum(lx * lx, axis=2)
    return np.sum(np.exp(inner)) + np.sum(q * q)


def float32_gates(x, w):
    g = np.tanh(x * w) / (1.0 + x * x)
    return np.sum(g * g, axis=0)


def compiled_source(fn, *args):
    grad = nn.ForwardValueAndGrad(fn, get_all=True)
    grad(*[Tensor(a) for a in args])
    return s2sgrad.compiled_source(grad), s2sgrad.source(grad)


def test_compiled_gradients_of_a_fused_program():
    rng = np.random.default_rng(5)
    args = (rng.standard_normal((7, 3)), rng.standard_normal((4, 3)), rng.standard_normal((4, 3)))
    before = [a.copy() for a in args]
    check_grads_compiled_too(gmm_like, *args, rtol=1e-6, atol=1e-8, agree_rtol=1e-12, agree_atol=1e-14)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)
    compiled, readable = compiled_source(gmm_like, *args)
    assert "for _i0 in range(_n0):" in compiled, compiled
    assert "for _i0" not in readable, readable     # users read the unfused source


def test_a_fused_loop_body_maps_to_the_users_line():
    # a Numba error inside the loop nest must name a line of the user's: the run's first
    rng = np.random.default_rng(5)
    grad = nn.ForwardValueAndGrad(gmm_like, get_all=True)
    grad(*[Tensor(a) for a in (rng.standard_normal((7, 3)), rng.standard_normal((4, 3)),
                               rng.standard_normal((4, 3)))])
    entry = grad._grad.last
    lines = entry.compiled_source.splitlines()
    scalars = [i for i, line in enumerate(lines, 1) if line.strip().startswith(("_e", "_r[", "_o["))]
    assert len(scalars) > 10, entry.compiled_source
    first = lines.index("    xc_reshape = reshape(x, (7, 1, 3))") + 1
    assert entry.line_map[first].source_line.strip().startswith("xc = x.reshape(n, 1, d)")
    for i in scalars:
        assert entry.line_map.get(i) is not None, f"line {i} maps to no user line: {lines[i - 1]}"
    assert entry.line_map[scalars[0]] == entry.line_map[first]      # the first nest's first value


def residual_names(text):
    """The names the backward unpacks from the forward's residuals."""
    backward = next(f for f in ast.parse(text).body if isinstance(f, ast.FunctionDef) and f.name == "backward")
    return [e.id for e in backward.body[0].targets[0].elts]


def test_a_residual_read_only_for_its_shape_is_not_kept_once_fused():
    # the backward of np.sum(lx * lx, axis=2) broadcasts to the product's shape: fused, it
    # reads the product no more, so the forward's loop must not store it (W6's (N, K, d) array)
    rng = np.random.default_rng(5)
    args = (rng.standard_normal((7, 3)), rng.standard_normal((4, 3)), rng.standard_normal((4, 3)))
    compiled, readable = compiled_source(gmm_like, *args)
    assert "inner_mul" in residual_names(readable)
    assert residual_names(compiled) == [r for r in residual_names(readable) if r != "inner_mul"]
    assert "inner_mul" not in compiled, compiled


def test_compiled_float32_program_with_division():
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((5, 4)).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    grads = {}
    for target in ("python", "cpu"):
        grad = nn.ForwardValueAndGrad(s2sgrad.jit(float32_gates, target=target), get_all=True)
        out, grads[target] = grad(Tensor(x), Tensor(w))
        assert out.asnumpy().dtype == np.float32
    for p, c in zip(grads["python"], grads["cpu"]):
        assert c.asnumpy().dtype == np.float32
        np.testing.assert_allclose(c.asnumpy(), p.asnumpy(), rtol=1e-5, atol=1e-6)
    compiled, _ = compiled_source(float32_gates, x, w)
    assert "divide(" in compiled and "float32(" in compiled, compiled


def batch_program(x, w):
    t = x * w
    u = np.exp(-t * t)
    return np.sum(np.sum(u * t, axis=1))


def test_fused_code_does_not_depend_on_the_batch_size():
    """Loop lengths are read from the operands: a new batch size compiles the same text."""
    rng = np.random.default_rng(8)
    w = rng.standard_normal(6)
    sources = {compiled_source(batch_program, rng.standard_normal((n, 6)), w)[0] for n in (3, 11)}
    (text,) = sources
    assert "for _i0 in range(_n0):" in text, text
    check_grads_compiled_too(batch_program, rng.standard_normal((5, 6)), w, rtol=1e-6, atol=1e-8,
                             agree_rtol=1e-12, agree_atol=1e-14)


def gated_loop(xs, w):
    """A recurrent cell: slices of a product, gates and a carried state, inside a loop."""
    h = np.zeros((xs.shape[1], 3))
    c = np.zeros((xs.shape[1], 3))
    for t in range(xs.shape[0]):
        z = xs[t] @ w + h @ w[0:3, :]
        i = 1.0 / (1.0 + np.exp(-z[:, 0:3]))
        g = np.tanh(z[:, 3:6])
        c = c * 0.5 + i * g
        h = np.tanh(c) * i
    return np.sum(h * h) + np.sum(c)


def test_compiled_gradients_of_a_loop_body_fused():
    rng = np.random.default_rng(9)
    args = (rng.standard_normal((4, 2, 3)) * 0.5, rng.standard_normal((3, 6)) * 0.5)
    check_grads_compiled_too(gated_loop, *args, rtol=1e-6, atol=1e-8, agree_rtol=1e-12, agree_atol=1e-14)
    compiled, _ = compiled_source(gated_loop, *args)
    loop = compiled[compiled.index("    for t in range("):]
    assert re.search(r"z\[_i0\w*, _i1\w* \+ 3\]", loop) and "divide(" in loop, compiled
