"""agentcore: an LLM tool-calling runtime with conversation memory.

Public names are imported lazily so that ``import agentcore`` (and ``agentcore --help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Agent": "agentcore.agent",
    "RunResult": "agentcore.agent",
    "tool": "agentcore.tools.decorator",
    "AgentConfig": "agentcore.config.schema",
    "LLMConfig": "agentcore.config.schema",
    "load_config": "agentcore.config.loader",
    "create_llm_service": "agentcore.llm.factory",
    "LLMService": "agentcore.llm.service",
    "ContextManager": "agentcore.context.manager",
    "UnifiedToolManager": "agentcore.tools.manager",
    "InternalMessage": "agentcore.messages",
    "ToolCall": "agentcore.messages",
    "Usage": "agentcore.messages",
    "ImagePart": "agentcore.messages",
    "AudioPart": "agentcore.messages",
    "CapabilityError": "agentcore.errors",
    "TextPart": "agentcore.messages",
    "AgentcoreError": "agentcore.errors",
    "ConfigError": "agentcore.errors",
    "ProviderError": "agentcore.errors",
    "ContextLengthExceeded": "agentcore.errors",
    "ToolError": "agentcore.errors",
    "LimitError": "agentcore.errors",
    "StorageError": "agentcore.errors",
    "run_sync": "agentcore._sync",
    "call_context": "agentcore.tracing.context",
    # --- embed ---
    "RunContext": "agentcore.tools.context",
    "ApprovalRequest": "agentcore.tools.context",
    "ApprovalRequired": "agentcore.tools.context",
    "TextDelta": "agentcore.llm.events",
    "ToolCallStarted": "agentcore.llm.events",
    "ToolCallDelta": "agentcore.llm.events",
    "ToolResult": "agentcore.llm.events",
    "ToolProgress": "agentcore.llm.events",
    "UsageReport": "agentcore.llm.events",
    "FinalAnswer": "agentcore.llm.events",
    "LimitReached": "agentcore.llm.events",
    "ErrorEvent": "agentcore.llm.events",
    "PartialOutput": "agentcore.llm.events",
    "StreamEvent": "agentcore.llm.events",
    "ToolCallRecord": "agentcore.agent",
    "OutputValidationError": "agentcore.errors",
    "ModelRequestsForbidden": "agentcore.errors",
}

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentcoreError",
    "ApprovalRequest",
    "ApprovalRequired",
    "AudioPart",
    "CapabilityError",
    "ConfigError",
    "ContextLengthExceeded",
    "ContextManager",
    "ErrorEvent",
    "FinalAnswer",
    "ImagePart",
    "InternalMessage",
    "LLMConfig",
    "LLMService",
    "LimitError",
    "LimitReached",
    "ModelRequestsForbidden",
    "OutputValidationError",
    "PartialOutput",
    "ProviderError",
    "RunContext",
    "RunResult",
    "StorageError",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallRecord",
    "ToolCallStarted",
    "ToolError",
    "ToolProgress",
    "ToolResult",
    "UnifiedToolManager",
    "Usage",
    "UsageReport",
    "__version__",
    "call_context",
    "create_llm_service",
    "load_config",
    "run_sync",
    "tool",
]

if TYPE_CHECKING:
    from agentcore._sync import run_sync as run_sync
    from agentcore.agent import Agent as Agent
    from agentcore.agent import RunResult as RunResult
    from agentcore.agent import ToolCallRecord as ToolCallRecord
    from agentcore.config.loader import load_config as load_config
    from agentcore.config.schema import AgentConfig as AgentConfig
    from agentcore.config.schema import LLMConfig as LLMConfig
    from agentcore.context.manager import ContextManager as ContextManager
    from agentcore.errors import AgentcoreError as AgentcoreError
    from agentcore.errors import CapabilityError as CapabilityError
    from agentcore.errors import ConfigError as ConfigError
    from agentcore.errors import ContextLengthExceeded as ContextLengthExceeded
    from agentcore.errors import LimitError as LimitError
    from agentcore.errors import ModelRequestsForbidden as ModelRequestsForbidden
    from agentcore.errors import OutputValidationError as OutputValidationError
    from agentcore.errors import ProviderError as ProviderError
    from agentcore.errors import StorageError as StorageError
    from agentcore.errors import ToolError as ToolError
    from agentcore.llm.events import ErrorEvent as ErrorEvent
    from agentcore.llm.events import FinalAnswer as FinalAnswer
    from agentcore.llm.events import LimitReached as LimitReached
    from agentcore.llm.events import PartialOutput as PartialOutput
    from agentcore.llm.events import StreamEvent as StreamEvent
    from agentcore.llm.events import TextDelta as TextDelta
    from agentcore.llm.events import ToolCallDelta as ToolCallDelta
    from agentcore.llm.events import ToolCallStarted as ToolCallStarted
    from agentcore.llm.events import ToolProgress as ToolProgress
    from agentcore.llm.events import ToolResult as ToolResult
    from agentcore.llm.events import UsageReport as UsageReport
    from agentcore.llm.factory import create_llm_service as create_llm_service
    from agentcore.llm.service import LLMService as LLMService
    from agentcore.messages import AudioPart as AudioPart
    from agentcore.messages import ImagePart as ImagePart
    from agentcore.messages import InternalMessage as InternalMessage
    from agentcore.messages import TextPart as TextPart
    from agentcore.messages import ToolCall as ToolCall
    from agentcore.messages import Usage as Usage
    from agentcore.tools.context import ApprovalRequest as ApprovalRequest
    from agentcore.tools.context import ApprovalRequired as ApprovalRequired
    from agentcore.tools.context import RunContext as RunContext
    from agentcore.tools.decorator import tool as tool
    from agentcore.tools.manager import UnifiedToolManager as UnifiedToolManager
    from agentcore.tracing.context import call_context as call_context


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentcore' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
