"""The one error type of the rule language: what went wrong, where, and how to fix it.

The agreement editor shows these at save time, so every error carries a 1-based line and column,
a 0-based character offset (for underlining) and a hint written for the person editing the rule.
"""

from __future__ import annotations


def position_of(source: str, offset: int) -> tuple[int, int]:
    """Return the 1-based (line, column) of a 0-based character offset in `source`."""
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


class RuleError(Exception):
    """A rule that cannot be saved: a syntax, vocabulary or type error, or a limit exceeded.

    `code` names the kind of error for programs ("syntax", "unknown_field", "type", "window",
    "not_boolean", "empty", "too_long", "too_deep"); `message` and `hint` are for people.
    """

    message: str
    line: int
    column: int
    offset: int
    end_offset: int
    hint: str
    code: str

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        offset: int = 0,
        end_offset: int | None = None,
        hint: str = "",
        code: str = "syntax",
    ) -> None:
        self.message = message
        self.offset = offset
        self.end_offset = offset if end_offset is None else end_offset
        self.line, self.column = position_of(source, offset)
        self.hint = hint
        self.code = code
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"line {self.line}, column {self.column}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text

    def __repr__(self) -> str:
        return f"RuleError({str(self)!r}, code={self.code!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Exceptions pickle through their args; keep every attribute across processes.
        return (
            _rebuild,
            (self.message, self.line, self.column, self.offset, self.end_offset, self.hint, self.code),
        )

    def as_dict(self) -> dict[str, object]:
        """The error as plain data, for API responses and the editor."""
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "line": self.line,
            "column": self.column,
            "offset": self.offset,
            "end_offset": self.end_offset,
        }


def _rebuild(
    message: str, line: int, column: int, offset: int, end_offset: int, hint: str, code: str
) -> RuleError:
    err = RuleError(message, offset=offset, end_offset=end_offset, hint=hint, code=code)
    err.line, err.column = line, column
    return err
