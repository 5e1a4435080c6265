"""agentcore.llm"""
