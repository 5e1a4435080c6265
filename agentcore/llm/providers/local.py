"""``provider: local``: the built-in model (or any GGUF file) on a managed llama.cpp server.

The server is OpenAI-compatible, so this is the OpenAI-compatible service with the server's address
filled in once the model has loaded.
"""

from __future__ import annotations

from agentcore.config.schema import LLMConfig
from agentcore.llm.local import model_path, server_for
from agentcore.llm.providers._openai_transport import ChatHttp
from agentcore.llm.providers.openai_compat import OpenAICompatService, Preset


class LocalService(OpenAICompatService):
    """The model of ``llm.model`` (a built-in name or a .gguf path) served by a child llama.cpp server."""

    def __init__(self, config: LLMConfig) -> None:
        # Started here, not on the first request: the model loads while the rest of the agent starts.
        self._server = server_for(model_path(config.model))
        super().__init__(config)

    def _make_client(self, config: LLMConfig, preset: Preset, api_key: str) -> ChatHttp:
        served = config.model_copy(update={"base_url": self._server.url() + "/v1"})
        return super()._make_client(served, preset, api_key)

    def get_config(self) -> dict[str, object]:
        return {**super().get_config(), "baseURL": "(built-in server)", "modelFile": str(self._server.path)}
