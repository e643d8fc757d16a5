"""Usage and influence reports: shares and opens per asset, unused content, and what reps
searched for without finding it."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.content.models import AssetStatus, ContentAsset
from closedloop.content.selectors.usage import search_gaps, unused_content, usage_by_asset


def _days(request: HttpRequest, default: int) -> int:
    value = request.GET.get("days", "")
    return min(int(value), 3650) if value.isdigit() and int(value) > 0 else default


@requires(Permission.EDIT_CONTENT)
def reports(request: HttpRequest) -> HttpResponse:
    days = _days(request, 90)
    usage = usage_by_asset()
    published = ContentAsset.objects.filter(status=AssetStatus.PUBLISHED).select_related("owner")
    rows = sorted(
        ({"asset": a, **usage.get(a.pk, {"shares": 0, "opens": 0, "seconds": 0, "deals": 0, "last_shared": None})}
         for a in published),
        key=lambda r: (-r["shares"], r["asset"].title),
    )  # fmt: skip
    context = {
        "days": days,
        "rows": rows,
        "unused": unused_content(days=days),
        "gaps": search_gaps(days=min(days, 365)),
        "published": len(rows),
    }
    context["unused_share"] = len(context["unused"]) / len(rows) if rows else None
    return render(request, "content/reports.html", context)
