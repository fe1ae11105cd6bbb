"""Prometheus metrics of one gateway process (a registry per app, so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

BREAKER_VALUES = {"closed": 0, "half_open": 1, "open": 2}


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("alliance_graphql_requests", "GraphQL requests", ["status"], registry=self.registry)
        self.request_seconds = Histogram("alliance_graphql_request_seconds", "GraphQL request latency",
                                         registry=self.registry)
        self.park_seconds = Histogram(
            "alliance_park_call_seconds", "Latency of calls to parks", ["park"], registry=self.registry,
            buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
        )
        self.park_outcomes = Counter("alliance_park_calls", "Calls to parks by outcome", ["park", "outcome"],
                                     registry=self.registry)
        self.breaker_state = Gauge("alliance_park_breaker_state", "Circuit breaker: 0 closed, 1 half-open, 2 open",
                                   ["park"], registry=self.registry)
        self.cache = Counter("alliance_attestation_cache", "Verified-attestation cache lookups", ["result"],
                             registry=self.registry)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
