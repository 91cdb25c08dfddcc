"""The admin API's router tree, mounted by the backend under `/admin` (superadmin only).

Authentication is applied where this router is included (backend/routers.py), so every route added to a
feature router below is superadmin-only by default.
"""

from __future__ import annotations

from fastapi import APIRouter

from admin.audit.endpoints import router as audit_router
from admin.calibration.endpoints import router as calibration_router
from admin.cameras.endpoints import router as cameras_router
from admin.count_audits.endpoints import router as count_audits_router
from admin.health.endpoints import router as health_router
from admin.members.endpoints import router as members_router
from admin.organizations.endpoints import router as organizations_router
from admin.stores.endpoints import router as stores_router
from backend.routing import AuthFirstRoute

router = APIRouter(route_class=AuthFirstRoute)
router.include_router(organizations_router)
router.include_router(members_router)
router.include_router(stores_router)
# Before the cameras router: `/cameras/health` must not be read as `/cameras/{camera_id}`.
router.include_router(health_router)
router.include_router(cameras_router)
router.include_router(calibration_router)
router.include_router(count_audits_router)
router.include_router(audit_router)
