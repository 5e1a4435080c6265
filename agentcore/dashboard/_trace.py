"""A trace as rows for the page: runs, LLM attempts and tool calls, nested, on one time axis."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from agentcore._redact import redact_text


def _body(raw: str | None) -> str | None:
    """A stored body, pretty-printed when it is JSON, with secrets masked again (older rows)."""
    if not raw:
        return None
    try:
        text = json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:
        text = raw
    return redact_text(text)


def build(spans: list[dict[str, Any]], calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Nodes in display order (depth-first by start time) with offsets in % of the trace's span."""
    nodes: dict[str, dict[str, Any]] = {}
    for s in spans:
        nodes[s["id"]] = {"kind": s["kind"], "id": s["id"], "parent": s["parent_id"], "name": s["name"],
                          "status": s["status"], "start": s["created_at"], "latency_ms": s["latency_ms"] or 0.0,
                          "detail": _body(s.get("detail")), "session_id": s.get("session_id"),
                          "user_id": s.get("user_id"), "module": s.get("module")}  # fmt: skip
    for c in calls:
        nodes[c["id"]] = {**c, "kind": "llm", "parent": c.get("parent_call_id"),
                          "name": f"{c['provider']}/{c['model']}", "start": c["created_at"],
                          "latency_ms": c["latency_ms"] or 0.0,
                          "request_body": _body(c.get("request_body")),
                          "response_body": _body(c.get("response_body")),
                          "error_message": redact_text(c["error_message"]) if c.get("error_message") else None}  # fmt: skip
    children: dict[str | None, list[dict[str, Any]]] = {}
    for node in nodes.values():
        parent = node["parent"] if node["parent"] in nodes else None
        children.setdefault(parent, []).append(node)
    for group in children.values():
        group.sort(key=lambda n: (n["start"], n["kind"] != "run"))
    order: list[dict[str, Any]] = []

    def walk(parent: str | None, depth: int) -> None:
        for node in children.get(parent, []):
            node["depth"] = depth
            order.append(node)
            walk(node["id"], depth + 1)

    walk(None, 0)

    def rollup(node: dict[str, Any]) -> tuple[int, int, float, int]:
        # Tokens and cost of a run are its LLM attempts' (unpriced ones counted apart).
        if node["kind"] == "llm":
            priced = node.get("cost_usd")
            unpriced = 1 if priced is None and node.get("status") == "success" else 0
            return (
                node.get("prompt_tokens") or 0,
                node.get("completion_tokens") or 0,
                priced or 0.0,
                unpriced,
            )
        p = c = u = 0
        cost = 0.0
        for child in children.get(node["id"], []):
            cp, cc, ccost, cu = rollup(child)
            p, c, cost, u = p + cp, c + cc, cost + ccost, u + cu
        node.update(prompt_tokens=p, completion_tokens=c, cost_usd_priced=cost, unpriced_requests=u,
                    cost_usd=None if u else cost, requests=1)  # fmt: skip
        return p, c, cost, u

    for root in children.get(None, []):
        rollup(root)
    if not order:
        return {"nodes": [], "start": None, "total_ms": 0.0}
    t0: datetime = min(n["start"] for n in order)
    end = max((n["start"] - t0).total_seconds() * 1000 + n["latency_ms"] for n in order)
    total = max(end, 1.0)
    for n in order:
        offset = (n["start"] - t0).total_seconds() * 1000
        n["offset_ms"] = offset
        n["left_pct"] = round(100 * offset / total, 2)
        n["width_pct"] = round(max(100 * n["latency_ms"] / total, 0.4), 2)
    errors = sum(1 for n in order if n["status"] == "error")
    return {"nodes": order, "start": t0, "total_ms": end, "errors": errors}
