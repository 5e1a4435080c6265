"""Tool calling through the prompt, for models and servers without native tools (``llm.toolCalling``)."""

from agentcore.llm.prompt_tools.client import (
    UNSUPPORTED_TOOLS_ERRORS,
    LearnedStore,
    PromptToolsClient,
    tools_unsupported,
)

__all__ = ["UNSUPPORTED_TOOLS_ERRORS", "LearnedStore", "PromptToolsClient", "tools_unsupported"]
