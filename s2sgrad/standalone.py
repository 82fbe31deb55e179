"""Kernels copied into a generated file, so it runs with NumPy and Numba alone.

`kernel_block(names)` returns source defining every name the generated code imports
from `s2sgrad.backend`: each kernel's own source (from kernels.py, element_ops.py or
any other module of s2sgrad that backend.NAMESPACE draws on), then, transitively,
the module-level helpers, constants and imports those kernels refer to, and the
`@overload` implementations Numba uses for the kernels that have one. Plain kernels
are made callable from compiled code with `register_jitable`, as in s2sgrad itself.
"""
import ast
import builtins
import functools
import inspect
import io
import sys
import textwrap
import tokenize
import types

import numpy as np

from .errors import S2SGradError

_SIMPLE = (int, float, complex, str, bool, bytes, type(None))


def _backend_namespace():
    from . import backend
    return backend.NAMESPACE


@functools.lru_cache(maxsize=None)
def _overloads(module_name):
    """{name of an overloaded function: [names of its @overload(...) implementations]} in a module."""
    module = sys.modules[module_name]
    tree = ast.parse(inspect.getsource(module))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Name) and dec.func.id == "overload" \
                        and dec.args and isinstance(dec.args[0], ast.Name):
                    found.setdefault(dec.args[0].id, []).append(node.name)
    return found


def _global_names(tree):
    """Names a function reads that are not its own parameters or locals."""
    fn = tree.body[0]
    local = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)) and node is not fn:
            if isinstance(node, ast.FunctionDef):
                local.add(node.name)
            local.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
    used = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local \
                and node.id not in used:
            used.append(node.id)
    return used


def _rename(source, mapping):
    """`source` with every name token in `mapping` replaced, except attribute names (`x.name`)."""
    if not mapping:
        return source
    out, prev = [], None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string in mapping and not (prev and prev.string == "."):
            tok = tok._replace(string=mapping[tok.string])
        out.append(tok)
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            prev = tok
    return tokenize.untokenize(out)


class _Collector:
    """Definitions for the file, each under a unique file-level name: a name two
    modules use for different things gets the second module's suffix (`_rows_conv`)."""

    def __init__(self):
        self.defs = {}           # file-level name -> (identity, kind, text); kind: import / const / function
        self.order = []          # function names in the order written
        self.aliases = {}        # public name -> file-level name

    def _claim(self, name, identity, module):
        """The file-level name for `identity`, known as `name` in `module`; None if new and claimed."""
        candidate = name
        suffix = module.rsplit(".", 1)[-1].replace("kernels_", "")
        for attempt in range(3):
            held = self.defs.get(candidate)
            if held is None:
                return candidate, True
            if held[0] == identity:
                return candidate, False
            candidate = f"{name}_{suffix}" if attempt == 0 else f"{name}_{suffix}_{attempt}"
        raise S2SGradError(f"cannot give {module}.{name} a unique name in a standalone file")

    def need(self, name, value, module, who):
        """The file-level name under which `value` (bound to `name` in `module`) is defined."""
        if isinstance(value, types.ModuleType):
            final, new = self._claim(name, ("module", value.__name__), module)
            if new:
                mod = value.__name__
                self.defs[final] = (("module", mod), "import", f"import {mod}" if mod == final else
                                    f"import {mod} as {final}")
            return final
        if isinstance(value, types.FunctionType) and (value.__module__ or "").startswith("s2sgrad"):
            return self.function(value)
        if isinstance(value, _SIMPLE) or (isinstance(value, tuple) and all(isinstance(v, _SIMPLE) for v in value)):
            final, new = self._claim(name, ("const", repr(value)), module)
            if new:
                self.defs[final] = (("const", repr(value)), "const", f"{final} = {value!r}")
            return final
        if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
            origin, qual = "numpy", np.dtype(value).name
        elif (getattr(value, "__module__", None) or "").split(".")[0] in ("numpy", "numba", "math") \
                and "." not in getattr(value, "__qualname__", "."):
            origin, qual = value.__module__, value.__qualname__
            if origin.startswith("numpy") and getattr(np, qual, None) is value:
                origin = "numpy"
        else:
            raise S2SGradError(f"cannot write {who}'s use of {name!r} ({type(value).__name__}) into a "
                               f"standalone file", hint="emit without --standalone")
        final, new = self._claim(name, ("from", origin, qual), module)
        if new:
            self.defs[final] = (("from", origin, qual), "import",
                                f"from {origin} import {qual}" + (f" as {final}" if qual != final else ""))
        return final

    def function(self, fn):
        code_name = fn.__code__.co_name
        final, new = self._claim(code_name, ("function", fn), fn.__module__)
        if not new:
            return final
        self.defs[final] = (("function", fn), "function", None)     # claimed before recursing
        if fn.__code__.co_freevars:
            raise S2SGradError(f"kernel {code_name} is a closure and cannot be written into a standalone file",
                               hint="emit without --standalone")
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
        overload_impls = _overloads(fn.__module__).get(code_name, [])
        decorators = tree.body[0].decorator_list
        mapping = {code_name: final} if final != code_name else {}
        module_globals = fn.__globals__
        decorator_names = [d.func.id if isinstance(d, ast.Call) and isinstance(d.func, ast.Name)
                           else getattr(d, "id", None) for d in decorators]
        for name in _global_names(tree) + decorator_names:
            if name is None or name == code_name:
                continue
            if name in module_globals:
                target = self.need(name, module_globals[name], fn.__module__, code_name)
                if target != name:
                    mapping[name] = target
            elif not hasattr(builtins, name):
                raise S2SGradError(f"kernel {code_name} uses {name!r}, which is neither a global nor a builtin")
        # Plain kernels are registered jitable; an overloaded one (Numba compiles its
        # @overload implementation instead) and a decorated one (register_jitable or an
        # @overload implementation itself) are written as they are.
        text = _rename(source, mapping).rstrip()
        if not overload_impls and not decorators:
            text += f"\nregister_jitable({final})"
        self.defs[final] = (("function", fn), "function", text)
        self.order.append(final)
        for impl in overload_impls:
            self.function(module_globals[impl])
        return final


def kernel_block(names):
    """Source defining `names` (as imported by generated code from s2sgrad.backend)."""
    namespace = _backend_namespace()
    c = _Collector()
    from numba.extending import register_jitable
    c.need("register_jitable", register_jitable, "numba", "generated code")   # plain kernels are registered
    for name in sorted(names):
        if name == "List":
            c.defs["List"] = (("from", "numba.typed", "List"), "import", "from numba.typed import List")
            continue
        value = namespace.get(name)
        if value is None:
            raise S2SGradError(f"the generated code calls {name!r}, which s2sgrad.backend does not provide")
        final = c.need(name, value, "s2sgrad.backend", "generated code")
        if final != name:
            c.aliases[name] = final
    for public, final in c.aliases.items():
        if public in c.defs:
            raise S2SGradError(f"the kernel name {public!r} is taken twice in a standalone file")
    lines = ["# -- kernels, copied from s2sgrad so that this file needs only numpy and numba --"]
    lines += sorted(text for _, kind, text in c.defs.values() if kind == "import")
    consts = sorted(text for _, kind, text in c.defs.values() if kind == "const")
    if consts:
        lines += [""] + consts
    for final in c.order:
        lines += ["", "", c.defs[final][2]]
    if c.aliases:
        lines += ["", ""] + [f"{public} = {final}" for public, final in sorted(c.aliases.items())]
    return "\n".join(lines) + "\n"
