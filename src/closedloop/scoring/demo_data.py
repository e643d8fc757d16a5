"""Demo scoring: the points rules Northwind's two heads would agree on (fit from persona, title,
company size and industry; engagement from pricing visits, downloads, webinars and meetings,
fading with time), every contact rescored, and the predictive model trained on the generated
won/lost history — or a cold start on a small demo, which the model card then explains."""

from collections.abc import Callable

from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.accounts.roles import Role
from closedloop.scoring.models import PointsRule
from closedloop.scoring.points_service import contacts_rescore
from closedloop.scoring.services import points_rule_create, scoring_model_train

SENIOR = 'title.lowerAscii().startsWith("vp") || title.lowerAscii().contains("head of") || title.lowerAscii().contains("director") || title.lowerAscii().startsWith("cfo")'
RULES = (
    {"kind": "fit", "name": "Buying persona", "condition": 'persona in ["ops_manager", "founder", "cfo"]', "points": 15},
    {"kind": "fit", "name": "Decision-maker title", "condition": SENIOR, "points": 10},
    {"kind": "fit", "name": "Mid-sized company", "condition": "company_size >= 50 && company_size < 1000", "points": 10},
    {"kind": "fit", "name": "Enterprise company", "condition": "company_size >= 1000", "points": 5},
    {"kind": "fit", "name": "Core industry", "condition": 'industry in ["Logistics", "Manufacturing", "Wholesale distribution"]', "points": 10},
    {"kind": "fit", "name": "Analyst, not a buyer", "condition": 'persona == "analyst"', "points": -5},
    {"kind": "engagement", "name": "Pricing page visits", "event_type": "page_view", "url_contains": "/pricing",
     "points": 5, "window_days": 30, "half_life_days": 7, "max_points": 20},
    {"kind": "engagement", "name": "Content downloads", "event_type": "content_download", "points": 8,
     "window_days": 60, "half_life_days": 14, "max_points": 24},
    {"kind": "engagement", "name": "Email clicks", "event_type": "email_click", "points": 2, "window_days": 30,
     "half_life_days": 10, "max_points": 10},
    {"kind": "engagement", "name": "Attended a webinar", "condition": "webinar_attended_90d >= 1", "points": 10},
    {"kind": "engagement", "name": "Booked a meeting", "condition": "meeting_booked_30d >= 1", "points": 20},
)  # fmt: skip


def seed(log: Callable[[str], object]) -> None:
    if PointsRule.objects.exists():
        return  # a reused demo keeps its rules and scores
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    for position, rule in enumerate(RULES):
        points_rule_create(by=admin, position=position, **rule)
    now = timezone.now()
    result = contacts_rescore(now=now)
    log(f"  {len(RULES)} points rules; {result.scored:,} contacts scored ({result.seconds:.1f} s)")
    model = scoring_model_train(by=admin, now=now)
    log(f"  predictive model: {model.explanation}")
