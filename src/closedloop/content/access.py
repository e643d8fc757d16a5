"""Who sees which content: internal roles everything, partners only published assets."""

from django.core.exceptions import PermissionDenied

from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission
from closedloop.content.models import AssetStatus, ContentAsset


def sees_drafts(user: User) -> bool:
    return user.has_role(Permission.EDIT_CONTENT)


def may_see_asset(user: User, asset: ContentAsset) -> bool:
    if sees_drafts(user):
        return True
    return user.has_role(Permission.VIEW_CONTENT) and asset.status == AssetStatus.PUBLISHED


def check_may_see(user: User, asset: ContentAsset) -> None:
    if not may_see_asset(user, asset):
        raise PermissionDenied("Partners see published content only.")
