"""The one error hierarchy. A user mistake raises an S2SGradError subclass whose
message names the user's file, line and column, shows the line with a caret,
and says what to do instead."""


class S2SGradError(Exception):
    """Base of every error s2sgrad raises for a user's mistake."""

    def __init__(self, message, loc=None, hint=None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._render())

    def _render(self):
        text = self.message
        if self.loc is not None:
            text = f"{self.loc.filename}:{self.loc.lineno}:{self.loc.col + 1}: {text}"
            line = self.loc.source_line
            if line:
                stripped = line.lstrip()
                caret_col = max(self.loc.col - (len(line) - len(stripped)), 0)
                text += f"\n    {stripped}\n    {' ' * caret_col}^"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UnsupportedSyntaxError(S2SGradError):
    """The source uses Python outside the differentiable subset."""


class ResolveError(S2SGradError):
    """A name or call in construct cannot be resolved to a primitive, Parameter,
    sub-cell, constant or helper function."""


class ShapeError(S2SGradError):
    """Operand shapes or dtypes do not fit a primitive."""


class CompileError(S2SGradError):
    """Numba could not compile the generated code for this program."""
