"""The service's counters, in Prometheus' format (prometheus-client), one registry per
process: updates handled, notices sent by kind, sends failed by cause, flood waits (429s),
escalations by tier, fallbacks given, webhook requests refused, the event loop's lag. The
database's figures (queue length, outbox age) are read at each scrape (bot/ops_server.py)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter("relais_updates_handled", "Telegram updates handled", registry=REGISTRY)
NOTICES = Counter("relais_notices_sent", "Notices sent", ["kind"], registry=REGISTRY)
SEND_FAILURES = Counter(
    "relais_sends_failed", "Telegram calls that failed, by cause", ["cause"], registry=REGISTRY
)
FLOOD_WAITS = Counter("relais_flood_waits", "429 answers from Telegram", registry=REGISTRY)
ESCALATIONS = Counter(
    "relais_escalations", "Escalation steps, by tier reached", ["tier"], registry=REGISTRY
)
WEBHOOK_REFUSED = Counter(
    "relais_webhook_refused",
    "Webhook requests refused for their secret token (missing or wrong)",
    ["reason"],
    registry=REGISTRY,
)
FALLBACKS = Counter("relais_fallbacks", "Fallback lines given to officers", registry=REGISTRY)
QUEUE = Gauge("relais_waiting_requests", "Requests waiting for a worker", registry=REGISTRY)
OUTBOX_PENDING = Gauge("relais_outbox_pending", "Notices not yet sent", registry=REGISTRY)
OUTBOX_AGE = Gauge(
    "relais_outbox_oldest_seconds", "Age of the oldest notice not yet sent", registry=REGISTRY
)
INBOX_UNHANDLED = Gauge(
    "relais_inbox_unhandled", "Stored updates not yet handled", registry=REGISTRY
)
HEALTHY = Gauge("relais_healthy", "1 when every health check passes", registry=REGISTRY)
DATABASE_UP = Gauge(
    "relais_database_up",
    "1 when the database answered this scrape's reads (0: the figures read from it are NaN)",
    registry=REGISTRY,
)
LOOP_LAG = Histogram(
    "relais_event_loop_lag_seconds",
    "How late the event loop woke a task due now",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
    registry=REGISTRY,
)
