"""agentcore.llm.formatters"""
