"""Owner analytics routes under `/stores/{store_id}/…`, authenticated where the router is included."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["analytics"])
