"""What the gateway tells its operators: the traffic log, Prometheus metrics and the health report."""

from gateway.observability.health import Health
from gateway.observability.metrics import Metrics
from gateway.observability.middleware import OBSERVATION, Observe, note
from gateway.observability.routes import health_route, metrics_route
from gateway.observability.traffic import TrafficLog, logs_database_url

__all__ = [
    "OBSERVATION",
    "Health",
    "Metrics",
    "Observe",
    "TrafficLog",
    "health_route",
    "logs_database_url",
    "metrics_route",
    "note",
]
