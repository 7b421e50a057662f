"""Broker families: brokers that share one OMS platform keep its client, mapping and simulator here, once."""
