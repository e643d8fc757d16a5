"""Which team a person speaks for. Personas and briefs mark every contribution with it, so a
reader sees at a glance whether a pain came from the field (sales) or from research (marketing)."""

from django.core.exceptions import ValidationError

from closedloop.accounts.models import User
from closedloop.accounts.roles import Role, TeamKind
from closedloop.content.models import Side

_ROLE_SIDE = {
    Role.HEAD_OF_MARKETING: Side.MARKETING,
    Role.MARKETER: Side.MARKETING,
    Role.HEAD_OF_SALES: Side.SALES,
    Role.SALES_REP: Side.SALES,
}


def side_of(user: User) -> str:
    """The author's team decides the side; without a sales or marketing team, the role does."""
    team = getattr(user, "team", None)
    if team is not None and team.kind in (TeamKind.MARKETING, TeamKind.SALES):
        return str(team.kind)
    side = _ROLE_SIDE.get(user.role)
    if side is None:
        raise ValidationError(
            {"author": f"{user.display_name} is in neither the sales nor the marketing team, so the "
             "contribution cannot be marked as from sales or marketing"}
        )  # fmt: skip
    return str(side)


def is_sales(user: User) -> bool:
    try:
        return side_of(user) == Side.SALES
    except ValidationError:
        return False
