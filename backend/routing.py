"""`AuthFirstRoute`: the route class of every router, so authentication is checked before the body.

FastAPI decodes a JSON body before it solves the route's dependencies, and a body that is not JSON is a 422
at once: `POST /admin/stores` with `{bad` and no token answered 422, telling an anonymous caller about the
route's body before asking who they are. This route class decodes the body leniently: a body that is not
JSON becomes an `InvalidJson` marker, the dependencies (authentication first, as routers attach it) run as
usual, and only then does body validation refuse the marker, which the error handler reports as the
usual `json_invalid` 422 on `body` (`backend.errors`). A body that is not UTF-8 (nor UTF-16/32, which
`json.loads` also detects) is not JSON either: the same marker, not FastAPI's bare 400 "There was an error
parsing the body".

FastAPI documents 422 only for the inputs it validates itself. A route that reads its body itself (a raw
`Request`, the body's schema in `openapi_extra`, as the worker routes do) validates it too and answers
422, so this route class documents 422 for every route that declares a `requestBody` that way.
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
        except UnicodeDecodeError as exc:
            return InvalidJson(exc.start, f"not {exc.encoding.upper()} text (byte {exc.start})")


# The answer of a route that validates a body FastAPI does not see (see the module docstring).
BODY_VALIDATION_RESPONSE: dict[str, Any] = {
    "description": "The body is not valid; the error's `fields` name what is wrong"
}


class AuthFirstRoute(APIRoute):
    """An `APIRoute` whose JSON body errors are reported after its dependencies (authentication) ran."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if "requestBody" in (self.openapi_extra or {}) and not {422, "422"} & set(self.responses):
            self.responses = {**self.responses, 422: BODY_VALIDATION_RESPONSE}

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def lenient_handler(request: Request) -> Response:
            return await handler(_LenientJsonRequest(request.scope, request.receive))

        return lenient_handler
