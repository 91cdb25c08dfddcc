"""Walking the application's route table, for tests that must cover every route of an audience."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


def dependency_calls(dependant: Dependant) -> set[Any]:
    """Every callable in a route's dependency tree, including those inherited from included routers."""
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= dependency_calls(sub)
    return found


def effective_routes(app: FastAPI) -> list[Any]:
    """Every API route with its effective path and dependencies."""
    # Recent FastAPI keeps included routers as nodes; this walks them with their inherited dependencies.
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [r for r in iter_route_contexts(app.routes) if getattr(r, "dependant", None) is not None]
