"""Thin request handlers, one module per spec tag, bound by `operationId`."""
