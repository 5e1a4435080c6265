"""agentcore.context"""
