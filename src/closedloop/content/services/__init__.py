"""Content and persona writes. Every function is keyword-only, validates, runs in one
transaction and records an audit entry; one module per job."""

from closedloop.content.services.assets import asset_create, asset_transition, asset_update
from closedloop.content.services.calendar import (
    calendar_entry_create,
    calendar_entry_delete,
    calendar_entry_update,
    calendar_feed_token_create,
)
from closedloop.content.services.collaboration import (
    asset_review,
    asset_shortlist_toggle,
    brief_comment_add,
    brief_save,
    prospect_feedback_add,
)
from closedloop.content.services.personas import (
    persona_comment_add,
    persona_contribute,
    persona_create,
    persona_update,
)
from closedloop.content.services.sharing import (
    shared_link_beacon,
    shared_link_create,
    shared_link_open,
    shared_link_revoke,
)

__all__ = [
    "asset_create",
    "asset_review",
    "asset_shortlist_toggle",
    "asset_transition",
    "asset_update",
    "brief_comment_add",
    "brief_save",
    "calendar_entry_create",
    "calendar_entry_delete",
    "calendar_entry_update",
    "calendar_feed_token_create",
    "persona_comment_add",
    "persona_contribute",
    "persona_create",
    "persona_update",
    "prospect_feedback_add",
    "shared_link_beacon",
    "shared_link_create",
    "shared_link_open",
    "shared_link_revoke",
]
