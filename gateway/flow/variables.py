"""A run's variables: filling double-brace references in, comparing, and safe arithmetic.

A string that is exactly one reference takes the variable's own value (a number stays a number);
a reference inside longer text is written into it. `math` expressions are parsed with `ast` and
walked over a short list of node types (numbers, + - * / // % **, unary minus, min/max/abs/round):
nothing is ever evaluated by Python itself.
"""

from __future__ import annotations

import ast
import json
import math
import operator
from typing import Any

from gateway.flow.document import REFERENCE


class Unresolved(Exception):
    """A reference names a variable the run does not have."""


def lookup(variables: dict[str, Any], name: str) -> Any:
    value: Any = variables
    for part in name.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise Unresolved(f"{{{{{name}}}}} is not set")
    return value


def fill(value: Any, variables: dict[str, Any]) -> Any:
    """`value` with every reference replaced; Unresolved when one names no variable."""
    if isinstance(value, str):
        whole = REFERENCE.fullmatch(value.strip())
        if whole:
            return lookup(variables, whole.group(1))
        return REFERENCE.sub(lambda match: _text(lookup(variables, match.group(1))), value)
    if isinstance(value, dict):
        return {key: fill(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, variables) for item in value]
    return value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, default=str)


_COMPARE = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def holds(condition: dict, variables: dict[str, Any]) -> bool:
    """Evaluate a condition tree (all / any / not / comparison) over the run's variables."""
    if "all" in condition:
        return all(holds(inner, variables) for inner in condition["all"])
    if "any" in condition:
        return any(holds(inner, variables) for inner in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], variables)
    left, right = _operand(fill(condition["left"], variables)), _operand(fill(condition["right"], variables))
    comparison = _COMPARE[condition["operator"]]
    if isinstance(left, str) != isinstance(right, str):
        if condition["operator"] in ("==", "!="):
            return comparison(str(left), str(right))
        raise ValueError(f"cannot compare {left!r} with {right!r}")
    return comparison(left, right)


def _operand(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    raise ValueError(f"{value!r} is neither a number nor text")


_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_FUNCTIONS = {"min": min, "max": max, "abs": abs, "round": round}
_MAX_EXPONENT = 100


def calculate(expression: str, variables: dict[str, Any]) -> float:
    """The value of an arithmetic expression whose references are numeric variables."""
    names: dict[str, float] = {}

    def bind(match) -> str:
        value = _number(lookup(variables, match.group(1)), match.group(1))
        name = f"_v{len(names)}"
        names[name] = value
        return name

    text = REFERENCE.sub(bind, expression)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        raise ValueError(f"{expression!r} is not an arithmetic expression") from e
    result = _walk(tree.body, names)
    if not math.isfinite(result):
        raise ValueError(f"{expression!r} does not give a finite number")
    return result


def _walk(node: ast.AST, names: dict[str, float]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _walk(node.operand, names)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _walk(node.left, names), _walk(node.right, names)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise ValueError(f"an exponent may be at most {_MAX_EXPONENT}")
        try:
            return float(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError as e:
            raise ValueError("division by zero") from e
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
        and node.args
    ):
        arguments = [_walk(argument, names) for argument in node.args]
        if node.func.id == "round":
            return float(round(arguments[0], int(arguments[1]) if len(arguments) > 1 else 0))
        return float(_FUNCTIONS[node.func.id](*arguments))
    raise ValueError(f"{ast.dump(node)[:60]} is not allowed in a math expression")


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{{{{{name}}}}} is {value!r}, not a number") from e
    if not math.isfinite(number):
        raise ValueError(f"{{{{{name}}}}} is not a finite number")
    return number


__all__ = ["Unresolved", "calculate", "fill", "holds", "lookup"]
