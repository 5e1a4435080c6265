"""Calculator tool: arithmetic on numbers, evaluated by walking the syntax tree (never ``eval``)."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from agentcore import tool

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "floor": math.floor,
    "ceil": math.ceil,
    "factorial": math.factorial,
}
_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}
# Guards against expressions that would take the process down ("9**9**9", "factorial(10**6)").
_MAX_EXPONENT = 10_000
_MAX_INT_BITS = 100_000
_MAX_FACTORIAL = 1_000
_MAX_LENGTH = 1_000


@tool
def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression exactly and safely.

    Supports + - * / // % ** and parentheses, the constants pi, e and tau, and the functions
    abs, round, min, max, sqrt, exp, log, log10, log2, sin, cos, tan, asin, acos, atan, floor,
    ceil and factorial.

    Args:
        expression: The expression, e.g. "(2 + 3) * sqrt(16) / 7".
    """
    if len(expression) > _MAX_LENGTH:
        raise ValueError(f"expression too long (over {_MAX_LENGTH} characters)")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not a valid expression: {exc.msg}") from None
    result = _eval(tree.body)
    if isinstance(result, float) and result.is_integer() and abs(result) < 1e15:
        return str(int(result))
    return str(result)


def _eval(node: ast.AST) -> Any:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ValueError(f"unknown name {node.id!r}; known constants: {', '.join(_CONSTANTS)}")
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        try:
            result = _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ValueError("division by zero") from None
        except OverflowError:
            raise ValueError("result too large") from None
        if isinstance(result, complex):
            raise ValueError("the result is not a real number")
        if isinstance(result, int) and result.bit_length() > _MAX_INT_BITS:
            raise ValueError("result too large")
        return result
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        func = _FUNCTIONS.get(node.func.id)
        if func is None:
            raise ValueError(f"unknown function {node.func.id!r}; known: {', '.join(_FUNCTIONS)}")
        args = [_eval(a) for a in node.args]
        if func is math.factorial and args and (not isinstance(args[0], int) or args[0] > _MAX_FACTORIAL):
            raise ValueError(f"factorial needs a whole number up to {_MAX_FACTORIAL}")
        try:
            return func(*args)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValueError(f"{node.func.id}: {exc}") from None
    raise ValueError(f"unsupported syntax: {ast.unparse(node)!r}")


def _check_power(base: Any, exponent: Any) -> None:
    if abs(exponent) > _MAX_EXPONENT:
        raise ValueError(f"exponent too large (limit {_MAX_EXPONENT})")
    if isinstance(base, int) and isinstance(exponent, int) and base.bit_length() * exponent > _MAX_INT_BITS:
        raise ValueError("result too large")
