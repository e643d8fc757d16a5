"""The default funnel stages (DESIGN §2). The Agreement will make the order editable; until a
version is active, this order is the one every page and metric uses."""

from django.db import models


class Stage(models.TextChoices):
    VISITOR = "visitor", "Visitor"
    IQL = "iql", "IQL"
    MQL = "mql", "MQL"
    SQL = "sql", "SQL"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    CHURNED = "churned", "Churned"


STAGE_ORDER: tuple[str, ...] = tuple(Stage.values)
# Funnel stages exclude churned: a churned contact has reached "customer" and left after it.
FUNNEL_STAGES: tuple[str, ...] = STAGE_ORDER[:-1]


def stage_rank(stage: str) -> int:
    """Position in the funnel; churned counts as having reached customer."""
    if stage == Stage.CHURNED:
        return STAGE_ORDER.index(Stage.CUSTOMER)
    return STAGE_ORDER.index(stage)


def stages_reached(stage: str) -> tuple[str, ...]:
    return FUNNEL_STAGES[: stage_rank(stage) + 1]
