"""Goals, meetings, the live feed, brainstorms and outgoing webhooks: one model module per job."""

from closedloop.meetings.models.brainstorms import (
    Brainstorm,
    BrainstormParticipant,
    BrainstormStatus,
    Idea,
    IdeaBuild,
    IdeaVote,
    Technique,
    Theme,
)
from closedloop.meetings.models.feed import FeedComment, FeedItem, FeedKind, FeedReaction
from closedloop.meetings.models.goals import Goal, PeriodKind, Visibility
from closedloop.meetings.models.meetings import (
    ActionItem,
    AgendaItem,
    Cadence,
    Decision,
    MeetingOccurrence,
    MeetingSeries,
)
from closedloop.meetings.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookTarget

__all__ = [
    "ActionItem",
    "AgendaItem",
    "Brainstorm",
    "BrainstormParticipant",
    "BrainstormStatus",
    "Cadence",
    "Decision",
    "DeliveryStatus",
    "FeedComment",
    "FeedItem",
    "FeedKind",
    "FeedReaction",
    "Goal",
    "Idea",
    "IdeaBuild",
    "IdeaVote",
    "MeetingOccurrence",
    "MeetingSeries",
    "PeriodKind",
    "Technique",
    "Theme",
    "Visibility",
    "WebhookDelivery",
    "WebhookTarget",
]
