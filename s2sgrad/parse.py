"""Stage 1, parse: a Python function -> gast tree with the user's file positions,
fenced against syntax outside the differentiable subset before anything else runs."""
import ast
import functools
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass

import gast
from gast.ast3 import Ast3ToGAst

from .errors import S2SGradError, UnsupportedSyntaxError
from .nodes import walk


@dataclass(frozen=True)
class SourceLoc:
    filename: str
    lineno: int
    col: int
    source_line: str


@dataclass
class ParsedFunction:
    fn: object              # the Python function
    tree: gast.FunctionDef  # positions are the user's file lines and columns
    filename: str
    lines: list             # the whole file, for error messages and comments

    def loc(self, node):
        lineno = getattr(node, "lineno", None) or self.tree.lineno
        line = self.lines[lineno - 1].rstrip("\n") if 0 < lineno <= len(self.lines) else ""
        return SourceLoc(self.filename, lineno, getattr(node, "col_offset", 0) or 0, line)


# Statement and expression kinds that are refused up front, with what to write instead.
_REFUSED = {
    gast.Try: ("try/except", "move error handling outside construct"),
    gast.With: ("with", "move context managers outside construct"),
    gast.AsyncWith: ("async with", "construct must be a plain function"),
    gast.AsyncFor: ("async for", "construct must be a plain function"),
    gast.AsyncFunctionDef: ("async def", "construct must be a plain function"),
    gast.Await: ("await", "construct must be a plain function"),
    gast.Yield: ("yield", "return the values instead of yielding them"),
    gast.YieldFrom: ("yield from", "return the values instead of yielding them"),
    gast.Global: ("global", "pass the value as an argument or keep it on self"),
    gast.Nonlocal: ("nonlocal", "pass the value as an argument or keep it on self"),
    gast.Lambda: ("lambda", "define a module-level helper function instead"),
    gast.FunctionDef: ("a nested def", "define the helper at module level"),
    gast.ClassDef: ("a nested class", "define the class at module level"),
    gast.ListComp: ("a list comprehension", "write an explicit loop or use array operations"),
    gast.SetComp: ("a set comprehension", "write an explicit loop"),
    gast.DictComp: ("a dict comprehension", "write an explicit loop"),
    gast.GeneratorExp: ("a generator expression", "write an explicit loop or use array operations"),
    gast.Delete: ("del", "drop the del; unused values are removed automatically"),
    gast.Import: ("import", "import at module level"),
    gast.ImportFrom: ("import", "import at module level"),
    gast.Raise: ("raise", "check inputs before calling the network"),
    gast.Assert: ("assert", "check inputs before calling the network"),
    gast.Dict: ("a dict", "use a tuple; compiled code has no dicts"),
    gast.Set: ("a set", "use a tuple"),
    gast.JoinedStr: ("an f-string", "strings are not differentiable; compute them outside construct"),
    gast.NamedExpr: ("the := operator", "assign on a separate line"),
    gast.Starred: ("*-unpacking", "pass the arguments one by one"),
    gast.Match: ("match", "use if/elif"),
}


def _refused_kind(node, top):
    if isinstance(node, gast.FunctionDef) and node is top:
        return None
    return _REFUSED.get(type(node))


def fence(parsed):
    """Raise UnsupportedSyntaxError at the first construct outside the subset."""
    top = parsed.tree
    for node in walk(top):
        refused = _refused_kind(node, top)
        if refused:
            what, hint = refused
            raise UnsupportedSyntaxError(f"{what} is not supported in differentiated code", parsed.loc(node), hint)
    args = top.args
    if args.vararg or args.kwarg or args.kwonlyargs:
        raise UnsupportedSyntaxError("*args, **kwargs and keyword-only arguments are not supported in "
                                     "differentiated code", parsed.loc(top), "list the arguments explicitly")


def _code_end(code):
    """The last line any instruction of `code` (or of a code object nested in it) spans."""
    end = max((p[1] for p in code.co_positions() if p[1] is not None), default=0)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            end = max(end, _code_end(const))
    return end


def _def_lines(fn, file_lines, start):
    """The lines of the def starting at file_lines[start], read off fn's code object, or
    None where that reading might differ from inspect.getblock's. It is taken when the
    next line that is not blank is code indented no deeper than the def, and so are the
    comment lines before it (getblock keeps trailing comments indented like the body);
    parse_def also requires the lines to parse on their own."""
    code = getattr(fn, "__code__", None)
    if not inspect.isfunction(fn) or not hasattr(code, "co_positions"):
        return None
    end = _code_end(code)
    if not start < end <= len(file_lines):
        return None
    head = file_lines[start]
    if not head.lstrip().startswith(("def ", "@")):     # async def, lambda: inspect reads them
        return None
    depth = len(head) - len(head.lstrip())
    for line in file_lines[end:]:
        text = line.lstrip()
        if text and len(line) - len(text) > depth:
            return None
        if text and not text.startswith("#"):
            break
    return file_lines[start:end]


def _find_source(fn):
    """inspect.findsource(fn): the file's lines and the index of the def's first line (its
    first decorator's), read off the code object where that line starts a def or a decorator,
    as findsource's search would stop there at once; without the regular expression of that
    search, whose first compile in a process costs half a millisecond. inspect otherwise."""
    code = getattr(fn, "__code__", None)
    if inspect.isfunction(fn) and code is not None:
        filename = code.co_filename
        linecache.checkcache(filename)
        lines = linecache.getlines(filename, fn.__globals__)
        start = code.co_firstlineno - 1
        if 0 <= start < len(lines) and lines[start].lstrip().startswith(("def ", "@")):
            return lines, start
    return inspect.findsource(fn)


def parse_def(fn):
    """A function's def: (its lines, as inspect.getsourcelines gives them; its first line
    number; the whole file, as inspect.findsource gives it; the gast module of the dedented
    lines, or the SyntaxError parsing them raised). The lines are read off the code object
    rather than by tokenizing the file as getblock does (tokenize's first use alone compiles
    regular expressions for milliseconds); inspect decides where that reading is not certain."""
    file_lines, start = _find_source(fn)
    lines = _def_lines(fn, file_lines, start)
    if lines is not None:
        try:
            return lines, start + 1, file_lines, to_gast(ast.parse(textwrap.dedent("".join(lines))))
        except SyntaxError:
            pass
    lines = inspect.getblock(file_lines[start:])
    try:
        module = to_gast(ast.parse(textwrap.dedent("".join(lines))))
    except SyntaxError as exc:
        module = exc
    return lines, start + 1, file_lines, module


class _ToGast(Ast3ToGAst):
    """gast's ast -> gast conversion (gast.ast_to_gast: Ast3ToGAst, its special cases
    included), faster: visitors looked up once per node class, nodes filled in directly
    (gast's constructor only copies its arguments into the node's dict), names (the most
    common node) built in one step."""
    _visitors = {}
    _targets = {}

    def visit(self, node):
        visitor = self._visitors.get(type(node))
        if visitor is None:
            visitor = self._visitors[type(node)] = getattr(_ToGast, "visit_" + type(node).__name__,
                                                           _ToGast.generic_visit)
        return visitor(self, node)

    def _visit(self, node):
        if isinstance(node, ast.AST):
            return self.visit(node)
        if isinstance(node, list):
            return [self._visit(n) for n in node]
        return node

    def generic_visit(self, node):
        cls = type(node)
        if cls not in self._targets:
            self._targets[cls] = getattr(gast, cls.__name__, None)
        target = self._targets[cls]
        if target is None:          # not part of the AST: gast drops it too
            return None
        new = target.__new__(target)
        fields = new.__dict__
        for field in node._fields:
            if hasattr(node, field):
                value = getattr(node, field)
                if isinstance(value, (ast.AST, list)):
                    value = self._visit(value)
                fields[field] = value
        for attr in node._attributes:
            try:
                fields[attr] = getattr(node, attr)
            except AttributeError:
                pass
        return new

    def visit_Name(self, node):
        """Ast3ToGAst.visit_Name: gast.Name(id, ctx, None, None) and ast.copy_location."""
        new = _Name.__new__(_Name)
        new.__dict__.update(id=node.id, ctx=self.visit(node.ctx), annotation=None, type_comment=None)
        for attr in _POSITIONS:
            value = getattr(node, attr, None)
            if value is not None or (attr[0] == "e" and hasattr(node, attr)):
                setattr(new, attr, value)
        return new


_Name = gast.Name
_POSITIONS = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def to_gast(tree):
    """gast.ast_to_gast(tree), faster."""
    return _ToGast().visit(tree)


@functools.lru_cache(maxsize=None)
def _parse_code(fn):
    try:
        lines, first, file_lines, module = parse_def(fn)
        filename = inspect.getsourcefile(fn) or "<unknown>"
        file_lines = inspect.getmodule(fn) and file_lines
    except (OSError, TypeError) as exc:
        raise S2SGradError(f"cannot read the source of {getattr(fn, '__qualname__', fn)}: {exc}",
                           hint="define the function in a .py file (not a REPL or python -c)") from None
    if fn.__name__ == "<lambda>":
        raise UnsupportedSyntaxError("a lambda cannot be differentiated", _code_loc(fn, filename, lines),
                                     "define the function with `def` in a .py file")
    indent = len(lines[0]) - len(lines[0].lstrip())
    if isinstance(module, SyntaxError):
        raise UnsupportedSyntaxError(f"cannot parse the source of {fn.__qualname__} on its own: {module.msg}",
                                     _code_loc(fn, filename, lines),
                                     "define the function with `def` at the start of its own lines") from None
    tree = module.body[0]
    for node in walk(tree):
        if hasattr(node, "lineno") and node.lineno is not None:
            node.lineno += first - 1
            if getattr(node, "end_lineno", None) is not None:
                node.end_lineno += first - 1
            if getattr(node, "col_offset", None) is not None:
                node.col_offset += indent
    parsed = ParsedFunction(fn, tree, filename, list(file_lines or lines))
    fence(parsed)
    return parsed


def _code_loc(fn, filename, lines):
    """The location of a function's first line (where its source cannot be parsed)."""
    lineno = fn.__code__.co_firstlineno
    return SourceLoc(filename, lineno, 0, lines[0].rstrip("\n") if lines else "")


def parse_function(fn):
    """Parse (once per function object) and fence a function's source."""
    fn = inspect.unwrap(fn)
    return _parse_code(fn)
