"""Worker routes (`/worker/*`), authenticated by `X-Worker-Key` where the router is included."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["worker"])
