"""Sales input on content: briefs and their comments, reps' shortlist of ideas, sales review of
each version, and "tested on prospects" feedback."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.audit.services import audit_record
from closedloop.content.models import (
    AssetReview,
    AssetShortlist,
    AssetStatus,
    Brief,
    BriefComment,
    ContentAsset,
    ProspectFeedback,
    ReviewDecision,
)
from closedloop.content.rich_text import text_clean
from closedloop.content.services.personas import check_may_edit
from closedloop.content.sides import is_sales, side_of
from closedloop.crm.models import Deal


@transaction.atomic
def brief_save(
    *,
    asset: ContentAsset,
    goal: str,
    by: User,
    key_messages: str = "",
    sales_questions: str = "",
    due_on: date | None = None,
    now: datetime | None = None,
) -> Brief:
    """Write or rewrite the brief; an idea with a brief becomes a brief."""
    check_may_edit(by)
    now = now or timezone.now()
    goal = text_clean(goal, max_length=4000)
    if not goal:
        raise ValidationError({"goal": "say what the asset must achieve and for whom"})
    if asset.status in (AssetStatus.PUBLISHED, AssetStatus.RETIRED):
        raise ValidationError({"asset": f"{asset.title} is already {asset.get_status_display().lower()}"})
    brief, created = Brief.objects.update_or_create(
        asset=asset,
        defaults={
            "goal": goal,
            "key_messages": text_clean(key_messages, max_length=4000),
            "sales_questions": text_clean(sales_questions, max_length=4000),
            "due_on": due_on,
            "updated_at": now,
        },
        create_defaults={
            "goal": goal, "key_messages": text_clean(key_messages, max_length=4000),
            "sales_questions": text_clean(sales_questions, max_length=4000), "due_on": due_on,
            "created_by": by, "created_at": now, "updated_at": now,
        },
    )  # fmt: skip
    if asset.status == AssetStatus.IDEA:
        ContentAsset.objects.filter(pk=asset.pk).update(status=AssetStatus.BRIEF, updated_at=now)
    audit_record(
        actor=by, action="content.brief_save", obj=brief, summary=f"{'Wrote' if created else 'Revised'} the brief for {asset.title}",
        changes={"goal": goal}, at=now,
    )  # fmt: skip
    return brief


@transaction.atomic
def brief_comment_add(*, brief: Brief, body: str, by: User, now: datetime | None = None) -> BriefComment:
    check_may_edit(by)
    now = now or timezone.now()
    side = side_of(by)
    body = text_clean(body, max_length=4000)
    if not body:
        raise ValidationError({"body": "write a comment"})
    comment = BriefComment.objects.create(brief=brief, author=by, side=side, body=body, created_at=now)
    audit_record(actor=by, action="content.brief_comment", obj=brief, summary=f"Commented on {brief}", at=now)
    return comment


@transaction.atomic
def asset_shortlist_toggle(*, asset: ContentAsset, by: User, now: datetime | None = None) -> bool:
    """A rep votes an idea onto (or off) the shortlist; True when it is now shortlisted."""
    check_may_edit(by)
    now = now or timezone.now()
    if asset.status not in (AssetStatus.IDEA, AssetStatus.BRIEF):
        raise ValidationError({"asset": "only ideas and briefs are shortlisted"})
    deleted, _ = AssetShortlist.objects.filter(asset=asset, user=by).delete()
    if not deleted:
        AssetShortlist.objects.create(asset=asset, user=by, created_at=now)
    audit_record(
        actor=by, action="content.shortlist", obj=asset,
        summary=f"{'Removed' if deleted else 'Shortlisted'} {asset.title}", at=now,
    )  # fmt: skip
    return not deleted


@transaction.atomic
def asset_review(
    *, asset: ContentAsset, decision: str, by: User, comment: str = "", now: datetime | None = None
) -> AssetReview:
    """Sales' verdict on the current version of an asset in review."""
    now = now or timezone.now()
    if not is_sales(by):
        raise PermissionDenied("Only sales reviews content before it is published.")
    asset = ContentAsset.objects.select_for_update().get(pk=asset.pk)
    if decision not in ReviewDecision.values:
        raise ValidationError(
            {"decision": f"unknown decision {decision!r}; one of {', '.join(ReviewDecision.values)}"}
        )
    comment = text_clean(comment, max_length=4000)
    if asset.status != AssetStatus.IN_REVIEW:
        raise ValidationError(
            {"asset": f"{asset.title} is not in review (it is {asset.get_status_display().lower()})"}
        )
    if decision == ReviewDecision.CHANGES_REQUESTED and not comment:
        raise ValidationError({"comment": "say what should change"})
    review = AssetReview.objects.create(
        asset=asset, version=asset.version, reviewer=by, decision=decision, comment=comment, created_at=now
    )
    if decision == ReviewDecision.CHANGES_REQUESTED:
        asset.status = AssetStatus.BRIEF
        asset.updated_at = now
        asset.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=by, action="content.review", obj=asset,
        summary=f"{ReviewDecision(decision).label}: {asset.title} v{asset.version}", changes={"comment": comment},
        at=now,
    )  # fmt: skip
    return review


@transaction.atomic
def prospect_feedback_add(
    *,
    asset: ContentAsset,
    outcome: str,
    by: User,
    note: str = "",
    deal: Deal | None = None,
    now: datetime | None = None,
) -> ProspectFeedback:
    check_may_edit(by)
    now = now or timezone.now()
    if outcome not in ProspectFeedback.Outcome.values:
        raise ValidationError(
            {"outcome": f"unknown outcome {outcome!r}; one of {', '.join(ProspectFeedback.Outcome.values)}"}
        )
    if asset.status != AssetStatus.PUBLISHED:
        raise ValidationError({"asset": "feedback from prospects is for published assets"})
    feedback = ProspectFeedback.objects.create(
        asset=asset,
        author=by,
        outcome=outcome,
        note=text_clean(note, max_length=4000),
        deal=deal,
        created_at=now,
    )
    audit_record(
        actor=by, action="content.prospect_feedback", obj=asset,
        summary=f"Tested on prospects: {asset.title} — {feedback.get_outcome_display()}", at=now,
    )  # fmt: skip
    return feedback
