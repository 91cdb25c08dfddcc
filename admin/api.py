"""The admin API's router tree, mounted by the backend under `/admin` (superadmin only)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
