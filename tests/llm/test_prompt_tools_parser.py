"""The ``<tool_call>`` reader gives the same text and calls however the answer is split into deltas."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from agentcore.llm.prompt_tools._parser import ToolCallParser, parse_all

ANSWERS = [
    "Plain answer with <b>html</b> and a < sign.",
    'Let me look.\n<tool_call>\n{"name": "search", "arguments": {"q": "a<b"}}\n</tool_call>',
    '<tool_call>{"name": "a", "arguments": {}}</tool_call>\n<tool_call>{"name": "b", "arguments": {"x": 1}}</tool_call>',
    '<tool_call>{"name": "a", "arguments": {"x": </tool_call>',
    '<tool_call>{"name": "a", "arguments": {"x": 1}}',  # the server stopped at </tool_call>
    '<tool_call>{"name": "a", "arguments": {}}</tool_call><tool_response>made up</tool_response>more',
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ANSWERS), st.lists(st.integers(min_value=0, max_value=200), max_size=12))
def test_any_split_gives_the_same_text_and_calls(answer: str, cuts: list[int]) -> None:
    points = sorted({min(c, len(answer)) for c in cuts})
    pieces = [answer[a:b] for a, b in zip([0, *points], [*points, len(answer)], strict=True)]
    parser = ToolCallParser("t")
    streamed = ""
    started: list[str] = []
    for piece in pieces:
        out = parser.feed(piece)
        streamed += out.text
        started += [name for _, name in out.started]
    tail = parser.finish()
    streamed += tail.text
    started += [name for _, name in tail.started]
    text, calls = parse_all(answer, "t")
    assert streamed == text == parser.text
    assert [(c.name, c.arguments, c.arguments_error is None) for c in parser.calls] == [
        (c.name, c.arguments, c.arguments_error is None) for c in calls
    ]
    assert started == [c.name for c in calls]
    assert "<tool_call>" not in text and "tool_response" not in text


def test_what_each_answer_means() -> None:
    assert parse_all(ANSWERS[0], "t") == (ANSWERS[0], [])
    text, (call,) = parse_all(ANSWERS[1], "t")
    assert text == "Let me look.\n" and call.name == "search" and json.loads(call.arguments) == {"q": "a<b"}
    assert [c.name for c in parse_all(ANSWERS[2], "t")[1]] == ["a", "b"]
    (broken,) = parse_all(ANSWERS[3], "t")[1]
    assert broken.name == "a" and broken.arguments_error is not None and broken.raw_arguments
    (unclosed,) = parse_all(ANSWERS[4], "t")[1]
    assert unclosed.arguments_error is None and json.loads(unclosed.arguments) == {"x": 1}
    assert parse_all(ANSWERS[5], "t")[0] == ""
