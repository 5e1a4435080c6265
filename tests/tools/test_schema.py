"""Schema generation from type hints and docstrings, and argument validation."""

import enum
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional, TypedDict, cast

import pytest
from pydantic import BaseModel, Field

from agentcore.tools._schema import InvalidArguments, parse_docstring
from agentcore.tools.decorator import LocalTool, tool


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Options(TypedDict):
    """Display options."""

    width: int
    label: str


@dataclass
class Point:
    x: float
    y: float = 0.0


class Person(BaseModel):
    name: str
    tags: list[str] = []


class Tree(BaseModel):
    value: int
    children: list["Tree"] = []


def props(t: LocalTool[..., Any]) -> dict[str, Any]:
    return t.parameters["properties"]


def walk(node: Any) -> list[dict[str, Any]]:
    """Every schema node under ``node`` (property names are not nodes)."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        mapping = cast(dict[str, Any], node)
        found.append(mapping)
        for key, value in mapping.items():
            subs = list(cast(dict[str, Any], value).values()) if key == "properties" else [value]
            for sub in subs:
                found.extend(walk(sub))
    elif isinstance(node, list):
        for item in cast(list[Any], node):
            found.extend(walk(item))
    return found


@tool
def zoo(
    n: int,
    s: str = "x",
    f: float | None = None,
    b: bool = False,
    items: list[int] | None = None,
    mapping: dict[str, float] | None = None,
    pair: tuple[int, str] = (1, "a"),
    mode: Literal["fast", "slow"] = "fast",
    color: Color = Color.RED,
    options: Options | None = None,
    point: Point | None = None,
    person: Person | None = None,
    maybe: Optional[int] = None,  # noqa: UP045 - the old spelling must work too
    noted: Annotated[int, "a described int"] = 3,
    bounded: Annotated[int, Field(description="non-negative", ge=0)] = 1,
    json: str = "",
) -> str:
    """Exercise every supported type."""
    return "ok"


def test_types_map_to_json_schema() -> None:
    schema = zoo.parameters
    p = props(zoo)
    assert schema["type"] == "object"
    assert schema["required"] == ["n"]
    assert schema["additionalProperties"] is False
    assert p["n"] == {"type": "integer"}
    assert p["s"] == {"type": "string", "default": "x"}
    assert p["f"] == {"type": ["number", "null"], "default": None}
    assert p["b"] == {"type": "boolean", "default": False}
    assert p["items"]["anyOf"][0] == {"type": "array", "items": {"type": "integer"}}
    assert p["pair"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert p["mode"]["enum"] == ["fast", "slow"]
    assert p["color"]["enum"] == ["red", "blue"] and p["color"]["default"] == "red"
    options = p["options"]["anyOf"][0]
    assert options["properties"] == {"width": {"type": "integer"}, "label": {"type": "string"}}
    assert options["additionalProperties"] is False and options["description"] == "Display options."
    assert p["point"]["anyOf"][0]["required"] == ["x"]
    assert p["person"]["anyOf"][0]["properties"]["tags"]["items"] == {"type": "string"}
    assert p["maybe"] == {"type": ["integer", "null"], "default": None}
    assert p["noted"] == {"type": "integer", "default": 3, "description": "a described int"}
    assert p["bounded"]["description"] == "non-negative" and p["bounded"]["minimum"] == 0
    assert "json" in p  # names that clash with BaseModel attributes are fine


def test_schema_has_no_titles_or_defs() -> None:
    nodes = walk(zoo.parameters)
    assert all("title" not in n for n in nodes)
    assert all("$ref" not in n for n in nodes)
    assert "$defs" not in zoo.parameters


def test_recursive_models_keep_defs() -> None:
    @tool
    def grow(tree: Tree) -> int:
        """Count nodes."""
        return 1

    assert "$defs" in grow.parameters
    assert all("title" not in n for n in walk(grow.parameters))
    _, kwargs = grow.validate({"tree": {"value": 1, "children": [{"value": 2}]}})
    assert kwargs["tree"].children[0].value == 2


def test_no_parameters() -> None:
    @tool
    def ping() -> str:
        """Ping."""
        return "pong"

    assert ping.parameters == {"type": "object", "properties": {}, "additionalProperties": False}


def test_google_docstring() -> None:
    @tool
    def g(a: int, b: str = "") -> None:
        """Summary line.

        More detail
        over two lines.

        Args:
            a (int): The first
                argument.
            b: The second.

        Returns:
            Nothing.
        """

    assert g.description == "Summary line.\n\nMore detail over two lines."
    assert props(g)["a"]["description"] == "The first argument."
    assert props(g)["b"]["description"] == "The second."


def test_numpy_docstring() -> None:
    @tool
    def n(a: int, b: str = "") -> None:
        """Numpy style.

        Parameters
        ----------
        a : int
            The first
            argument.
        b : str, optional
            The second.

        Returns
        -------
        None
        """

    assert n.description == "Numpy style."
    assert props(n)["a"]["description"] == "The first argument."
    assert props(n)["b"]["description"] == "The second."


def test_rest_docstring() -> None:
    @tool
    def r(a: int, b: str = "") -> None:
        """reST style.

        :param a: The first
            argument.
        :param str b: The second.
        :returns: nothing
        """

    assert r.description == "reST style."
    assert props(r)["a"]["description"] == "The first argument."
    assert props(r)["b"]["description"] == "The second."


def test_annotated_description_beats_docstring() -> None:
    @tool
    def a(x: Annotated[int, "from the hint"]) -> None:
        """Doc.

        Args:
            x: from the docstring
        """

    assert props(a)["x"]["description"] == "from the hint"


def test_parse_docstring_empty() -> None:
    assert parse_docstring(None).summary == ""
    assert parse_docstring("One line.").params == {}


def test_decorator_forms_and_callable() -> None:
    @tool()
    def plain(x: int) -> int:
        return x * 2

    @tool(name="renamed", description="custom", timeout=5.0)
    async def fancy(x: int) -> int:
        return x

    assert plain(4) == 8  # still callable like the function
    assert plain.name == "plain" and not plain.is_async and plain.timeout is None
    assert fancy.name == "renamed" and fancy.description == "custom" and fancy.is_async
    assert fancy.timeout == 5.0
    assert plain.defined_at.endswith(f"test_schema.py:{plain.func.__code__.co_firstlineno}")
    assert zoo.spec().name == "zoo" and zoo.spec().origin == zoo.defined_at


def test_decorator_rejects_bad_timeout() -> None:
    with pytest.raises(ValueError):
        tool(timeout=0)


async def test_sync_and_async_invoke() -> None:
    import threading

    main = threading.get_ident()

    @tool
    def sync_tool(n: int) -> int:
        assert threading.get_ident() != main  # ran in a worker thread
        return n + 1

    @tool
    async def async_tool(n: int) -> int:
        return n + 2

    assert await sync_tool.invoke({"n": "1"}) == 2
    assert await async_tool.invoke({"n": 1}) == 3


def test_validation_coerces() -> None:
    args, kwargs = zoo.validate(
        {
            "n": "5",
            "color": "blue",
            "point": {"x": 1},
            "person": {"name": "q"},
            "options": {"width": 1, "label": "l"},
        }
    )
    assert args == ()
    assert kwargs["n"] == 5 and kwargs["color"] is Color.BLUE
    assert kwargs["point"] == Point(1.0, 0.0)
    assert kwargs["person"] == Person(name="q")
    assert kwargs["options"] == {"width": 1, "label": "l"}
    assert "s" not in kwargs  # defaults come from the function itself


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"n": "abc"}, "argument 'n': expected an integer, got 'abc'"),
        ({}, "missing required argument 'n'"),
        ({"n": 1, "zz": 2}, "unexpected argument 'zz'"),
        ({"n": 1, "mode": "medium"}, "argument 'mode': expected 'fast' or 'slow', got 'medium'"),
        ({"n": 1, "items": [1, "x"]}, "argument 'items[1]': expected an integer, got 'x'"),
        ({"n": 1, "options": {"width": "w", "label": "l"}}, "argument 'options.width': expected an integer"),
        ({"n": 1, "bounded": -1}, "argument 'bounded'"),
    ],
)
def test_validation_errors_are_readable(arguments: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidArguments) as info:
        zoo.validate(arguments)
    assert any(expected in p for p in info.value.problems), info.value.problems


def test_union_errors_merge() -> None:
    @tool
    def u(v: int | str) -> None:
        """Union."""

    with pytest.raises(InvalidArguments) as info:
        u.validate({"v": [1]})
    assert info.value.problems == ["argument 'v': expected an integer or a string, got [1]"]


def test_positional_only_and_kwargs() -> None:
    @tool
    def f(a: int, /, b: int = 0, **extra: Any) -> None:
        """Mixed."""

    args, kwargs = f.validate({"a": "1", "b": 2, "other": "x"})
    assert args == (1,) and kwargs == {"b": 2, "other": "x"}
    assert f.parameters["additionalProperties"] is True
