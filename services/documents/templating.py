"""Rendering supervisors' templates with customers' data, safely.

Templates are Jinja2 text run in its immutable sandbox: no attribute beginning with `_`, no
method that changes data, no globals (not even Jinja's `range`, `lipsum`, `cycler`), and
StrictUndefined so a name the variables lack is an error rather than an empty gap. Jinja
renders the whole text before returning, so a failure leaves nothing half-rendered to send.
Repetition (`'x' * 10**9`) is bounded, and so is the text a template may produce.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT = 100_000  # characters: more than any answer or document a customer reads
MAX_SOURCE = 50_000


class TemplateProblem(Exception):
    """A template that cannot be saved or rendered; `field` names what is at fault."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "*":
            for sized, times in ((left, right), (right, left)):
                if isinstance(sized, str | list | tuple) and isinstance(times, int):
                    if len(sized) * times > MAX_OUTPUT:
                        raise SecurityError("repetition too large")
            return operator.mul(left, right)
        if isinstance(right, int) and abs(right) > 64:
            raise SecurityError("exponent too large")
        return operator.pow(left, right)


def sandbox() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.clear()
    return env


_ENV = sandbox()


def check_template(source: str, field: str = "body") -> None:
    """Raises TemplateProblem if the text is not a template (checked when it is saved)."""
    if len(source) > MAX_SOURCE:
        raise TemplateProblem(field, f"longer than {MAX_SOURCE} characters")
    try:
        _compiled(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(field, f"line {exc.lineno}: {exc.message}") from exc


@functools.lru_cache(maxsize=1024)
def _compiled(source: str) -> Template:
    # Compiling is ~200x the cost of rendering (bench.documents); a compiled template is
    # immutable, so every render of the same text shares it.
    return _ENV.from_string(source)


def render(source: str, variables: Mapping[str, Any], field: str = "body") -> str:
    """The whole text, or TemplateProblem naming the missing variable or refused access."""
    check_template(source, field)
    try:
        text = _compiled(source).render(dict(variables))
    except UndefinedError as exc:
        raise TemplateProblem(field, f"unknown variable: {exc.message}") from exc
    except SecurityError as exc:
        raise TemplateProblem(field, f"not allowed in a template: {exc}") from exc
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise TemplateProblem(field, f"cannot render: {exc}") from exc
    if len(text) > MAX_OUTPUT:
        raise TemplateProblem(field, f"renders to more than {MAX_OUTPUT} characters")
    return text


def variable_names(source: str) -> list[str]:
    """The top-level names a template reads (shown to supervisors while editing)."""
    from jinja2 import meta

    return sorted(meta.find_undeclared_variables(_ENV.parse(source)))
