"""OpenAlgo SDK compatibility: the SDK's wire payloads against the spec and the server."""
