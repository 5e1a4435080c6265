"""agentcore.cli"""
