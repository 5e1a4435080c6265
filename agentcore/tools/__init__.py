"""agentcore.tools"""
