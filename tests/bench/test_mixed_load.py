"""Smoke run of bench/mixed_load.py: a real server on SQLite, two cameras and an owner for 3 s."""

from __future__ import annotations

import pytest

from bench import mixed_load


def test_a_short_mixed_run_stores_every_accepted_event_and_fails_no_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--database", "sqlite", "--cameras", "2", "--stores", "2", "--owners", "1"]
    code = mixed_load.main([*argv, "--events-per-s", "20", "--duration-s", "3", "--check"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "accepted = stored = sent" in out
    for route in ("POST /worker/events", "GET /live", "GET /dashboard?period=day", "GET /health (reference)"):
        assert f"| {route} |" in out
