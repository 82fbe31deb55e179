"""Random programs against float64 central finite differences: every drawn program
through the `python` target (the generated code run uncompiled), and the first few
also through Numba.

`program_generator.programs()` draws small NumPy programs (straight-line code,
branches on runtime scalars, `for` loops with loop-carried values, element reads
and writes, nested loops) and their float64 inputs. Each program is written as a
real module (s2sgrad reads source with `inspect.getsource`), imported, and its
value and gradients from `nn.ForwardValueAndGrad` are compared with the program
run as plain NumPy and with central differences of it (`gradcheck.check_grads`).

A program whose central differences at two step sizes disagree (it can amplify a
perturbation 2**20-fold into a saturating tanh) is discarded with `assume`: the
oracle cannot judge it.

Generation is deterministic (`derandomize=True`): every run draws the same
programs, and the generated code does not depend on where the program file lives,
so repeat runs reuse s2sgrad's disk cache (`~/.cache/s2sgrad`, or
`S2SGRAD_CACHE_DIR`) instead of compiling with Numba again. A first run on a cold
cache spends most of its time in Numba.

Environment:

    S2SGRAD_RANDOM_EXAMPLES   programs to draw (default 200), e.g.
        S2SGRAD_RANDOM_EXAMPLES=2000 python -m pytest tests/test_random_programs.py
    S2SGRAD_RANDOM_COMPILED   how many of them also run compiled by Numba (default 30;
        each costs a Numba compile of several seconds on a cold cache)

A failure prints the (shrunk) program's source and inputs; the module it was
imported from stays in pytest's temporary directory.
"""
import hashlib
import importlib.util
import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, settings

from gradcheck import OracleUnreliable, check_grads
from program_generator import programs

EXAMPLES = int(os.environ.get("S2SGRAD_RANDOM_EXAMPLES", "200"))
COMPILED = int(os.environ.get("S2SGRAD_RANDOM_COMPILED", "30"))


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("random_programs")


def load_program(directory, source):
    """Write `source` as a module (named after its hash) and import it."""
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    name = f"s2sgrad_random_program_{key}"
    module = sys.modules.get(name)
    if module is not None:
        return module
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


def as_numpy(fn):
    """The program run as plain NumPy on private float64 copies of its inputs (the
    reference: NumPy's `+=` on an input array must not reach the caller's array)."""
    def run(*args):
        return fn(*[np.array(np.asarray(a), dtype=np.float64) for a in args])
    return run


def check(module, program, target):
    """check_grads, discarding (not passing) a program finite differences cannot judge."""
    try:
        check_grads(module.f, *program.inputs, eager=as_numpy(module.f), target=target, check_oracle=True)
    except OracleUnreliable:
        assume(False)


def random_programs(max_examples):
    # no `explain` phase: it reruns the failing program many times, each a Numba compile
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])


@random_programs(EXAMPLES)
@given(program=programs())
def test_random_program_gradients_match_finite_differences(program_dir, program):
    module = load_program(program_dir, program.source)
    note(f"program file: {module.__file__}\n{program!r}")
    check(module, program, target="python")


@random_programs(COMPILED)       # derandomized: the same first programs, so repeat runs hit the disk cache
@given(program=programs())
def test_random_programs_compiled_by_numba(program_dir, program):
    module = load_program(program_dir, program.source)
    note(f"program file: {module.__file__}\n{program!r}")
    check(module, program, target=None)
