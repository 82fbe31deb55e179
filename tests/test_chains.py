"""The backward's chain-shortening rewrites (s2sgrad/chains.py): each program is checked
against central differences, and its generated source must show the rewrite applied
(or, where it must not apply, absent). Most run uncompiled (target="python": the same
source, no Numba wait); the ODE also runs compiled."""
import re

import numpy as np
import pytest

from gradcheck import check_grads, check_grads_compiled_too, source_of


def ode(x0, a, b):
    """One carried adjoint (x) and two sinks (a, b): preaccumulated, in the forward (fused_loops.py)."""
    x = x0
    for i in range(60):
        x = x + 0.01 * (a * x - b * x * x * x)
    return x * x


def oscillator(x0, v0, k):
    """Two carried adjoints that feed each other: the body runs once per unit seed."""
    x, v = x0, v0
    for i in range(30):
        v = v - 0.05 * k * x
        x = x + 0.05 * v
    return x * v


def shifted_pairs(x):
    """d_x[i] and d_x[k] are added to in the inner loop at indices it never changes:
    promoted. At the last i the inner loop runs zero times and k is out of bounds. Its
    backward carries d_s from one iteration to the next, so it stays in the backward."""
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        k = i + 1
        for j in range(k, n):
            s = 0.5 * s + x[k] * x[j] * x[i]
    return s


def summed_shifted_pairs(x):
    """The same sites in a sum: the loop's backward moves into the forward (fused_loops.py),
    and the forward's accumulators are promoted, with the same zero-trip guard."""
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        k = i + 1
        for j in range(k, n):
            s += x[k] * x[j] * x[i]
    return s


def pair_energy(pos):
    """A small Lennard-Jones-like pair loop in float32: its backward moves into the forward
    (fused_loops.py), and the promoted accumulators there keep the dtype."""
    e = 0.0
    for i in range(pos.shape[0]):
        for j in range(i + 1, pos.shape[0]):
            d = pos[i, 0] - pos[j, 0]
            e += 1.0 / (1.0 + d * d)
    return e


def four_states(a0, b0, c0, d0):
    """Four carried adjoints, more than MAX_CARRIED: left as it is."""
    a, b, c, d = a0, b0, c0, d0
    for i in range(40):
        a, b, c, d = a + 0.01 * b * c, b - 0.01 * a * d, c + 0.01 * d, d - 0.01 * c * a
    return a * b + c * d


def writes_elements(x0, a):
    """Each step's x written into an array: d_ys[i] is read in the backward loop, so its body
    is not a map of scalar adjoints only."""
    x = x0
    ys = np.zeros(20)
    for i in range(20):
        x = x * a + 0.1
        ys[i] = x
    return np.sum(ys * ys)


def switching(x0, a, b):
    """A branch in the body, taken both ways over the loop."""
    x = x0
    for i in range(50):
        if x > 1.0:
            x = x * a - 0.3
        else:
            x = x * b + 0.2
    return x * x


def leaky(x0, w, c):
    """A branch that rebinds a value the step then uses (a leaky ReLU)."""
    x = x0
    for i in range(30):
        z = w * x + c
        if z < 0.0:
            z = 0.01 * z
        x = 0.5 * x + z
    return x * x


def two_states_branch(x0, v0, k):
    x, v = x0, v0
    for i in range(40):
        if x > 0.0:
            v = v - 0.05 * k * x
        else:
            v = v - 0.1 * k * x
        x = x + 0.05 * v
    return x * v


def squares(x, w):
    """`d * d` in a loop (its loop moves into the forward) and `w * w` on an array: each
    adjoint's two equal terms become one product."""
    s = 0.0
    for i in range(x.shape[0]):
        d = x[i] - 0.5
        s += d * d
    return s * np.sum(w * w)


def recurrent(xs, w):
    """Each step's d_h starts from zeros_like(h) and is then added a matrix product: the
    product is assigned instead (no zeros, no add)."""
    h = xs[0]
    for t in range(1, xs.shape[0]):
        h = np.tanh(xs[t] + h @ w)
    return (h * h).sum()


ODE_ARGS = (np.array(0.7), np.array(0.9), np.array(0.4))


def test_a_top_level_loop_multiplies_its_partials_up_in_the_forward():
    """fused_loops.multiply_partials: the forward runs the body's adjoint statements with
    d_x = 1 and multiplies the results into the whole loop's partials; the backward is one
    statement per adjoint, with no loop and no tape."""
    check_grads_compiled_too(ode, *ODE_ARGS, rtol=1e-7, atol=1e-10, agree_rtol=1e-13)
    src = source_of(ode, *ODE_ARGS)
    forward, backward = src.split("def backward")
    assert "d_x_0 = float64(1.0)" in forward and "loop_d_x = float64(1.0)" in forward, src
    assert "loop_d_x = loop_d_x * d_x_0" in forward, src
    assert "loop_d_a = loop_d_a * d_x_0 + part_d_a_0" in forward, src
    code = [line.strip() for line in backward.splitlines() if not line.strip().startswith("#")]
    assert not any(line.startswith("for ") for line in code) and "tape" not in src, src
    assert "d_x = carry_d_x * loop_d_x" in backward and "d_a = d_a + carry_d_x * loop_d_a" in backward, src


def growing(x0, a):
    """A `while` whose trip count is known only when it ends."""
    x = x0
    while x < 3.0:
        x = x * a + 0.1
    return x * x


@pytest.mark.parametrize("x0", [0.5, 5.0])       # 6 trips, and none
def test_a_while_loop_multiplies_its_partials_up_too(x0):
    args = (np.array(x0), np.array(1.3))
    check_grads_compiled_too(growing, *args, rtol=1e-7, atol=1e-10, agree_rtol=1e-13)
    src = source_of(growing, *args)
    assert "loop_d_a = loop_d_a * d_x_0 + part_d_a_0" in src and "tape" not in src, src


def repeated_ode(x0, a, b):
    """The ODE loop inside another loop (not unrolled: 20 runs)."""
    x = x0
    for epoch in range(20):
        for i in range(20):
            x = x + 0.01 * (a * x - b * x * x * x)
        x = 0.5 * x + 0.2
    return x * x


def test_a_nested_loop_tapes_its_whole_partials_once_per_outer_iteration():
    """The inner loop's partials are values of the outer body, taped at its end (3 per outer
    iteration, not 3 per inner step); the inner loop has no backward loop."""
    check_grads_compiled_too(repeated_ode, *ODE_ARGS, rtol=1e-7, atol=1e-10, agree_rtol=1e-13)
    src = source_of(repeated_ode, *ODE_ARGS)
    forward, backward = src.split("def backward")
    state = re.search(r"\n\s+(loop_d_x\w*) = float64\(1\.0\)\n", forward).group(1)   # loop_d_x_1: x is x_1 there
    for name in (state, "loop_d_a", "loop_d_b"):
        assert f"        tape_{name}[tape_{name}_n] = {name}\n" in forward, src      # in the outer body
        assert f"        {name} = tape_{name}[tape_{name}_n]\n" in backward, src
    code = [line.strip() for line in backward.splitlines() if not line.strip().startswith("#")]
    assert sum(line.startswith("for ") for line in code) == 1, src
    assert "tape_x" not in src and "part_d_a_0" not in backward, src


def in_branch(x0, a):
    x = x0
    if x0 > 0.0:
        for i in range(30):
            x = x * a + 0.1
    else:
        x = x * 2.0
    return x * x


def in_while(x0, a):
    x = x0
    while x < 5.0:
        for i in range(20):
            x = x * a + 0.01
        x = x + 0.5
    return x * x


def two_states_nested(x0, v0, k):
    x, v = x0, v0
    for e in range(18):
        for i in range(25):
            v = v - 0.05 * k * x
            x = x + 0.05 * v
        v = v * 0.9
    return x * v


def per_sample(x0s, a, b):
    """One ODE per sample: each sample's partials are taped once, with its x."""
    loss = 0.0
    for s in range(x0s.shape[0]):
        x = x0s[s]
        for i in range(40):
            x = x + 0.01 * (a * x - b * x * x * x)
        loss += x * x
    return loss


@pytest.mark.parametrize("fn, args", [
    (in_branch, (np.array(0.5), np.array(1.01))),
    (in_branch, (np.array(-0.5), np.array(1.01))),
    (in_while, (np.array(0.5), np.array(1.02))),
    (two_states_nested, (np.array(0.3), np.array(-0.2), np.array(1.3))),
    (per_sample, (np.linspace(0.2, 1.0, 17), np.array(0.9), np.array(0.4))),
])
def test_whole_loop_partials_inside_other_blocks(fn, args):
    check_grads_compiled_too(fn, *args, rtol=1e-7, atol=1e-10, agree_rtol=1e-12)
    src = source_of(fn, *args)
    assert re.search(r"\n\s+(loop_d_\w+) = tape_\1\[", src), src     # popped where the block's reverse starts
    assert "part_d_" not in src.split("def backward")[1], src


@pytest.mark.parametrize("fn, args", [
    (switching, (np.array(0.9), np.array(1.3), np.array(1.2))),
    (leaky, (np.array(0.9), np.array(-1.1), np.array(0.3))),
    (two_states_branch, (np.array(0.3), np.array(-0.2), np.array(1.3))),
])
def test_a_body_with_branches_multiplies_its_partials_up(fn, args):
    """Each path through the body is linear in the carried adjoints: the forward runs the
    backward's branch under the forward's own test, and nothing is taped."""
    check_grads_compiled_too(fn, *args, rtol=1e-7, atol=1e-10, agree_rtol=1e-12)
    src = source_of(fn, *args)
    forward = src.split("def backward")[0]
    assert "tape" not in src and "loop_d_" in forward, src
    tests = re.findall(r"\n\s+if (\w+):\n", forward)
    assert len(tests) >= 2 and len(set(tests)) == 1, src       # the forward's branch, and the adjoint's under it


def test_two_carried_adjoints_multiply_up_together():
    args = (np.array(0.3), np.array(-0.2), np.array(1.3))
    check_grads_compiled_too(oscillator, *args, rtol=1e-7, atol=1e-10, agree_rtol=1e-13)
    src = source_of(oscillator, *args)
    assert "loop_d_x_0_new = loop_d_x_0 * d_x_0 + loop_d_x_1 * d_v_0" in src, src
    combined = re.findall(r"(d_[xv]) = carry_d_x \* loop_\1_0 \+ carry_d_v \* loop_\1_1\n", src)
    assert sorted(combined) == ["d_v", "d_x"], src
    assert "tape" not in src, src


@pytest.mark.parametrize("fn, args", [
    (four_states, tuple(np.array(v) for v in (0.3, -0.2, 0.5, 0.1))),
    (writes_elements, (np.array(0.4), np.array(1.1))),
])
def test_bodies_that_do_not_qualify_are_left_alone(fn, args):
    check_grads(fn, *args, target="python", rtol=1e-7, atol=1e-10)
    assert "carry_" not in source_of(fn, *args)


def test_invariant_index_accumulates_in_a_scalar_and_skips_zero_trips():
    x = np.random.default_rng(0).standard_normal(6)
    check_grads(shifted_pairs, x, target="python", rtol=1e-7, atol=1e-10)
    src = source_of(shifted_pairs, x)
    accs = re.findall(r"(acc_d_x\w*) = \1 \+ ", src)
    assert len(accs) == 2, src
    flush = re.search(r"if \(n_loop\d+ > 0\):\n\s+(d_x\[\w+,\] \+= acc_d_x\w*)\n\s+(d_x\[\w+,\] \+= acc_d_x\w*)\n",
                      src)
    assert flush, src
    assert {g.split()[0] for g in flush.groups()} == {"d_x[i,]", "d_x[k,]"}
    assert {g.split()[-1] for g in flush.groups()} == set(accs)


def test_fused_loop_promotes_its_forward_accumulators_and_skips_zero_trips():
    x = np.random.default_rng(0).standard_normal(6)
    check_grads(summed_shifted_pairs, x, target="python", rtol=1e-7, atol=1e-10)
    check_grads(summed_shifted_pairs, x, rtol=1e-7, atol=1e-10)
    src = source_of(summed_shifted_pairs, x)
    accs = re.findall(r"(acc_part_d_x\w*) = \1 \+ ", src)
    assert len(accs) == 2, src
    flush = re.search(r"if \(trip_count\(\w+, \w+, 1\) > 0\):\n\s+(part_d_x\[\w+,\] \+= acc_part_d_x\w*)\n"
                      r"\s+(part_d_x\[\w+,\] \+= acc_part_d_x\w*)\n", src)
    assert flush, src
    assert "d_x += d_s * part_d_x" in src, src


def test_whole_loop_partials_keep_float32():
    args = tuple(np.array(v, np.float32) for v in (0.7, 0.9, 0.4))
    grads = check_grads(ode, *args, rtol=2e-3, atol=1e-4)
    assert all(g.asnumpy().dtype == np.float32 for g in grads)
    src = source_of(ode, *args)
    assert "loop_d_x = float32(1.0)" in src and "loop_d_a = float32(0)" in src and "float64" not in src, src


def test_promoted_accumulators_keep_float32():
    pos = np.random.default_rng(1).standard_normal((5, 1)).astype(np.float32)
    grads = check_grads(pair_energy, pos, target="python", rtol=2e-3, atol=1e-4)
    assert grads[0].asnumpy().dtype == np.float32
    src = source_of(pair_energy, pos)
    assert "acc_part_d_pos = float32(0)" in src and "d_pos += d_e * part_d_pos" in src, src


@pytest.mark.parametrize("fn, args", [
    (ode, ODE_ARGS),
    (oscillator, (np.array(0.3), np.array(-0.2), np.array(1.3))),
    (shifted_pairs, (np.arange(4.0),)),
])
def test_no_adjoint_starts_from_zero_only_to_be_added_to(fn, args):
    src = source_of(fn, *args)
    assert not re.search(r"(\w+) = float(32|64)\(0\)\n\s*\1 = \1 \+ ", src), src


def test_the_two_terms_of_a_square_are_one_product():
    args = (np.random.default_rng(2).standard_normal(5), np.random.default_rng(3).standard_normal((2, 3)))
    check_grads_compiled_too(squares, *args, rtol=1e-7, atol=1e-10, agree_rtol=1e-13)
    src = source_of(squares, *args)
    # in the fused loop's forward the seed reads float64(1.0)
    doubled = re.findall(r"\n\s+(d_\w+) = \((d_\w+|float64\(1\.0\)) \+ \2\) \* (\w+)\n", src)
    assert {(target, operand) for target, _, operand in doubled} == {("d_d", "d"), ("d_w", "w")}, src
    assert not re.search(r"\n\s+(d_\w+) = (\w+ \* \w+)\n\s+\1 = \1 \+ \2\n", src), src


def test_an_array_adjoint_is_assigned_not_added_to_zeros():
    args = (np.random.default_rng(4).standard_normal((4, 2, 3)), np.random.default_rng(5).standard_normal((3, 3)))
    check_grads_compiled_too(recurrent, *args, rtol=1e-7, atol=1e-10, agree_rtol=1e-13)
    src = source_of(recurrent, *args)
    loop = src[src.index("    for _k"):src.index("def value_and_grad")]
    assert re.search(r"\n        (d_h\w*) = matmul_nt\(d_\w+, w\)\n", loop), src
    assert "zeros_like(h" not in loop.split("\n    # grad of line")[0], src     # none left in the loop body


def shares_then_reads_an_element(x0, x1, x2):
    """d_x0 gets d_x1_1 (the caller's sens) and then an element added in place: it must
    stay its own array (found by tests/test_random_programs.py)."""
    x2 = x2 + x0[0]
    x1 = x1 + x0
    return x1 + x2


def test_an_adjoint_added_to_in_place_is_not_another_array():
    args = (np.zeros(3), np.zeros(3), np.array(0.0))
    check_grads_compiled_too(shares_then_reads_an_element, *args, rtol=1e-7, atol=1e-10, agree_rtol=1e-13)
    src = source_of(shares_then_reads_an_element, *args)
    assert "d_x0 = zeros_like(x0)" in src and "d_x0[0,] += " in src, src
