"""What every webhook of brokergate shares: unguessable URL tokens with optional HMAC signing, path
masking so a token never reaches a log, and the durable inbox that places each accepted alert once."""

from gateway.webhooks.inbox import AlertInbox, Delivery
from gateway.webhooks.rawbody import json_object
from gateway.webhooks.tokens import WebhookTokens, masked_path, masked_text, without_token

__all__ = ["AlertInbox", "Delivery", "WebhookTokens", "json_object", "masked_path", "masked_text", "without_token"]
