"""Smoke runs of the request-cost benchmarks: they run end to end on tiny data and print their tables."""

from __future__ import annotations

import pytest

from bench import analytics_latency, request_cost
from tests.conftest import drop_postgres_database


def test_request_cost_prints_ratios_to_health(capsys: pytest.CaptureFixture[str]) -> None:
    assert request_cost.main(["--database", "sqlite", "--rounds", "3"]) == 0
    out = capsys.readouterr().out
    for route in ("GET /health", "GET /me", "GET /stores/{id}"):
        assert f"| {route} |" in out, out
    assert "p50 / health" in out


@pytest.mark.postgres
def test_analytics_latency_prints_ratios_to_health_and_to_its_sql(capsys: pytest.CaptureFixture[str]) -> None:
    db = analytics_latency.database_name(2)
    try:
        assert analytics_latency.main(["--days", "2", "--stores", "6", "--requests", "2"]) == 0
    finally:
        drop_postgres_database(db)
    out = capsys.readouterr().out
    for route in ("GET /health (reference)", "live", "dashboard_day", "footfall_90d_hourly", "anomalies_day"):
        assert f"| {route} |" in out, out
    assert "2 rounds after" in out
