"""Call context, call log, usage and traces: every LLM call recorded in one place.

Only the context is imported here (cheap); the tables, writer and queries load on use.
"""

from agentcore.tracing.context import CallContext, call_context, current

__all__ = ["CallContext", "call_context", "current"]
