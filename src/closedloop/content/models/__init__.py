"""Personas and content models, one module per job; imported here so Django sees one app."""

from closedloop.content.models.assets import (
    AssetStatus,
    AssetTag,
    AssetType,
    AssetVersion,
    ContentAsset,
    TagKind,
)
from closedloop.content.models.calendar import CalendarEntry, CalendarFeedToken
from closedloop.content.models.collaboration import (
    AssetReview,
    AssetShortlist,
    Brief,
    BriefComment,
    ProspectFeedback,
    ReviewDecision,
)
from closedloop.content.models.personas import (
    Persona,
    PersonaComment,
    PersonaContribution,
    PersonaSection,
    Side,
)
from closedloop.content.models.sharing import LinkView, SearchQuery, SharedLink

__all__ = [
    "AssetReview",
    "AssetShortlist",
    "AssetStatus",
    "AssetTag",
    "AssetType",
    "AssetVersion",
    "Brief",
    "BriefComment",
    "CalendarEntry",
    "CalendarFeedToken",
    "ContentAsset",
    "LinkView",
    "Persona",
    "PersonaComment",
    "PersonaContribution",
    "PersonaSection",
    "ProspectFeedback",
    "ReviewDecision",
    "SearchQuery",
    "SharedLink",
    "Side",
    "TagKind",
]
