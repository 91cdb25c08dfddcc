"""`AuthFirstRoute`: the route class of every router, so authentication is checked before the body.

FastAPI decodes a JSON body before it solves the route's dependencies, and a body that is not JSON is a 422
at once: `POST /admin/stores` with `{bad` and no token answered 422, telling an anonymous caller about the
route's body before asking who they are. This route class decodes the body leniently: a body that is not
JSON becomes an `InvalidJson` marker, the dependencies (authentication first, as routers attach it) run as
usual, and only then does body validation refuse the marker, which the error handler reports as the
usual `json_invalid` 422 on `body` (`backend.errors`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


@dataclass(frozen=True, slots=True)
class InvalidJson:
    """Stands for a request body that is not JSON: `position` is the character offset of the error."""

    position: int
    reason: str


class _LenientJsonRequest(Request):
    async def json(self) -> Any:
        try:
            return await super().json()
        except json.JSONDecodeError as exc:
            return InvalidJson(exc.pos, exc.msg)


class AuthFirstRoute(APIRoute):
    """An `APIRoute` whose JSON body errors are reported after its dependencies (authentication) ran."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def lenient_handler(request: Request) -> Response:
            return await handler(_LenientJsonRequest(request.scope, request.receive))

        return lenient_handler
