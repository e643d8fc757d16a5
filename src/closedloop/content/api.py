"""The content API under /api/v1/content: assets and search, personas, shares, and the public
pages (shared links, iCal feed) that work without a login."""

from closedloop.content.api_assets import router
from closedloop.content.api_personas import router as personas_router
from closedloop.content.api_sharing import public as public_router
from closedloop.content.api_sharing import router as shares_router

router.add_router("/personas", personas_router)
router.add_router("/shares", shares_router)
router.add_router("", public_router)

__all__ = ["router"]
