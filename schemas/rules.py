"""Rules written in the config file: small boolean expressions over a contact's or an
agent's facts, e.g. `channel in ("sms", "whatsapp") and tier == "vip"` or
`skills.billing >= 2 and "de" in languages`.

Parsed with Python's own parser and evaluated by walking a whitelisted tree, never with
eval: a config file can choose and compare facts, nothing more. Names are checked when the
config is loaded, so a typo fails at start-up instead of silently matching nothing.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Collection, Mapping
from typing import Any

# Facts a queue's `match` rule may use; `attributes.x` reads what the channel sent.
CONTACT_FACTS = frozenset(
    {"channel", "language", "topic", "tier", "source", "attributes", "request_type"}
)
# Facts an agents rule may use; `skills.x` is the agent's level in skill x (0 without it).
AGENT_FACTS = frozenset({"id", "role", "supervisor", "languages", "skills"})
MAPPINGS = frozenset({"attributes", "skills"})

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: b is not None and a in b,
    ast.NotIn: lambda a, b: b is None or a not in b,
}


class RuleError(ValueError):
    pass


class Rule:
    """A compiled rule; call it with the facts to get True or False."""

    def __init__(self, source: str, names: Collection[str]) -> None:
        self.source = source
        try:
            tree = ast.parse(source.strip() or "True", mode="eval")
        except SyntaxError as exc:
            raise RuleError(f"{source!r}: not a rule ({exc.msg})") from None
        self._check(tree.body, frozenset(names))
        self._tree = tree.body

    def __call__(self, facts: Mapping[str, Any]) -> bool:
        return bool(self._eval(self._tree, facts))

    def __repr__(self) -> str:
        return f"Rule({self.source!r})"

    def _check(self, node: ast.AST, names: frozenset[str]) -> None:
        match node:
            case ast.BoolOp(values=values):
                for v in values:
                    self._check(v, names)
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                self._check(operand, names)
            case ast.Compare(left=left, ops=ops, comparators=rights):
                if any(type(op) not in _COMPARE for op in ops):
                    raise RuleError(f"{self.source!r}: only ==, !=, <, <=, >, >=, in, not in")
                for part in (left, *rights):
                    self._check(part, names)
            case ast.Name(id=name):
                if name not in names and name not in ("True", "False", "None"):
                    raise RuleError(f"{self.source!r}: unknown name {name!r} ({sorted(names)})")
            case ast.Attribute(value=ast.Name(id=root)):
                if root not in names or root not in MAPPINGS:
                    raise RuleError(f"{self.source!r}: {root}.<key> is not a fact here")
            case ast.Constant(value=value) if isinstance(value, str | int | float | bool | None):
                pass
            case ast.Tuple(elts=items) | ast.List(elts=items) | ast.Set(elts=items):
                for item in items:
                    self._check(item, names)
            case _:
                raise RuleError(f"{self.source!r}: {type(node).__name__} is not allowed in a rule")

    def _eval(self, node: ast.AST, facts: Mapping[str, Any]) -> Any:
        match node:
            case ast.BoolOp(op=ast.And(), values=values):
                return all(self._eval(v, facts) for v in values)
            case ast.BoolOp(values=values):
                return any(self._eval(v, facts) for v in values)
            case ast.UnaryOp(operand=operand):
                return not self._eval(operand, facts)
            case ast.Compare(left=left, ops=ops, comparators=rights):
                current = self._eval(left, facts)
                for op, right in zip(ops, rights, strict=True):
                    other = self._eval(right, facts)
                    try:
                        if not _COMPARE[type(op)](current, other):
                            return False
                    except TypeError:  # e.g. None < 2: a missing fact never matches
                        return False
                    current = other
                return True
            case ast.Name(id=name):
                return {"True": True, "False": False, "None": None}.get(name, facts.get(name))
            case ast.Attribute(value=ast.Name(id=root), attr=key):
                mapping = facts.get(root) or {}
                return mapping.get(key, 0 if root == "skills" else None)
            case ast.Constant(value=value):
                return value
            case ast.Tuple(elts=items) | ast.List(elts=items) | ast.Set(elts=items):
                return [self._eval(i, facts) for i in items]
        raise RuleError(f"{self.source!r}: cannot evaluate {type(node).__name__}")


def contact_rule(source: str) -> str:
    Rule(source, CONTACT_FACTS)
    return source


def agent_rule(source: str) -> str:
    Rule(source, AGENT_FACTS)
    return source
