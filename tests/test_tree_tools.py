"""The transpiler's fast stand-ins for inspect, gast and copy give exactly what those give:
a def's source lines (parse.parse_def vs inspect.getsourcelines), ast -> gast
(parse.to_gast vs gast.ast_to_gast, positions and node dicts included), gast -> ast for
printing (codegen.as_ast vs gast.gast_to_ast), tree copies (nodes.copy_tree vs
copy.deepcopy), walks (nodes.walk / nodes.nodes_of vs gast.walk) and built nodes
(nodes.name etc. vs gast's constructors). Checked on s2sgrad's own sources, the adjoint
templates and the program corpus, so that a new gast or Python that changes any of them
fails here rather than in generated code."""
import ast
import copy
import glob
import importlib
import inspect
import os
import textwrap

import gast
import pytest

import s2sgrad
from s2sgrad import nodes as N
from s2sgrad.codegen import as_ast
from s2sgrad.parse import _def_lines, parse_def, to_gast
from s2sgrad.templates import load_all

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the passes, the templates and the corpus: every kind of statement s2sgrad reads or writes
SOURCES = sorted([os.path.join(ROOT, "s2sgrad", f"{m}.py") for m in ("resolve", "reverse", "chains", "nodes", "parse")]
                 + glob.glob(os.path.join(ROOT, "templates", "*.py"))
                 + glob.glob(os.path.join(ROOT, "tests", "corpus", "*.py")))


def dicts(tree):
    """Each node's dict keys, in order (gast.dump does not show the order)."""
    return [list(n.__dict__) for n in gast.walk(tree)]


@pytest.fixture(scope="module")
def trees():
    return [gast.parse(open(path).read()) for path in SOURCES]


def functions():
    """Functions defined in s2sgrad's modules, the templates and the corpus (methods included)."""
    modules = [importlib.import_module(f"s2sgrad.{os.path.basename(p)[:-3]}") for p in SOURCES
               if os.sep + "s2sgrad" + os.sep in p and not p.endswith("__init__.py")]
    modules += [importlib.import_module(f"corpus.{m}") for m in ("branches", "loops", "calls", "cells")]
    found = {fn.__code__: fn for fn in load_all().values()}
    for module in modules:
        for value in vars(module).values():
            members = vars(value).values() if inspect.isclass(value) and value.__module__ == module.__name__ else [value]
            for fn in members:
                if inspect.isfunction(fn) and fn.__module__ == module.__name__:
                    found[fn.__code__] = fn
    return list(found.values())


def test_def_lines_are_inspects():
    fns = functions()
    quick = 0
    fns = [fn for fn in map(inspect.unwrap, fns) if _has_source(fn)]      # parse_function unwraps first
    for fn in fns:
        lines, first, file_lines, module = parse_def(fn)
        assert (lines, first) == inspect.getsourcelines(fn), fn.__qualname__
        assert file_lines == inspect.findsource(fn)[0]
        assert gast.dump(module, include_attributes=True) == gast.dump(
            gast.parse(textwrap.dedent("".join(lines))), include_attributes=True)
        quick += _def_lines(fn, *inspect.findsource(fn)) is not None
    assert len(fns) > 200 and quick > 0.95 * len(fns)     # the code object decides almost always


def _has_source(fn):
    try:
        inspect.findsource(fn)
    except OSError:          # made by exec (element_ops' kernels)
        return False
    return True


def test_to_gast_is_gasts(trees):
    for path in SOURCES:
        tree = ast.parse(open(path).read())
        want, got = gast.ast_to_gast(tree), to_gast(tree)
        assert gast.dump(got, include_attributes=True) == gast.dump(want, include_attributes=True), path
        assert dicts(got) == dicts(want), path


def test_as_ast_is_gasts_for_printing(trees):
    checked = 0
    simple = (gast.Assign, gast.AugAssign, gast.Return, gast.Expr, gast.If, gast.For, gast.While)
    for tree in trees:
        for node in gast.walk(tree):     # simple statements whole; compound ones' headers
            if isinstance(node, simple):
                parts = [node] if not hasattr(node, "body") else [getattr(node, f) for f in ("test", "target", "iter")
                                                                  if hasattr(node, f)]
                for part in parts:
                    assert ast.dump(as_ast(part)) == ast.dump(gast.gast_to_ast(part))
                    checked += 1
    assert checked > 2_000


def test_copy_tree_is_deepcopy_and_walks_are_gasts(trees):
    for tree in trees[:6]:
        want, got = copy.deepcopy(tree), N.copy_tree(tree)
        assert gast.dump(got, include_attributes=True) == gast.dump(want, include_attributes=True)
        assert dicts(got) == dicts(want)
        assert all(a is not b for a, b in zip(gast.walk(tree), gast.walk(got)))
        order = [id(n) for n in gast.walk(tree)]
        assert [id(n) for n in N.walk(tree)] == order
        assert [id(n) for n in N.nodes_of(tree)] == [id(n) for n in gast.walk(tree) if not isinstance(n, gast.expr_context)]
    shared = N.name("x")
    pair = N.copy_tree(N.tuple_([shared, shared]))
    assert pair.elts[0] is pair.elts[1] and pair.elts[0] is not shared      # shared stays shared, as deepcopy


def test_built_nodes_are_gasts():
    pairs = [
        (N.name("x"), gast.Name(id="x", ctx=gast.Load(), annotation=None, type_comment=None)),
        (N.name("x", store=True), gast.Name(id="x", ctx=gast.Store(), annotation=None, type_comment=None)),
        (N.const(1.5), gast.Constant(value=1.5, kind=None)),
        (N.call("f", N.name("a")), gast.Call(func=gast.Name(id="f", ctx=gast.Load(), annotation=None,
                                                            type_comment=None),
                                             args=[gast.Name(id="a", ctx=gast.Load(), annotation=None,
                                                             type_comment=None)], keywords=[])),
        (N.assign(["a", "b"], N.const(0), lineno=3), None),
        (N.subscript(N.attribute(N.name("x"), "shape"), 0), None),
    ]
    for got, want in pairs:
        if want is None:      # compare with the same text parsed
            want = gast.parse(as_text(got)).body[0]
            want = want.value if isinstance(want, gast.Expr) else want
            assert gast.dump(got) == gast.dump(want)
        else:
            assert gast.dump(got, include_attributes=True) == gast.dump(want, include_attributes=True)
            assert dicts(got) == dicts(want)


def as_text(node):
    from s2sgrad.codegen import to_source
    return to_source(node)


def test_the_package_is_this_checkout():
    assert s2sgrad.__file__.startswith(ROOT)
