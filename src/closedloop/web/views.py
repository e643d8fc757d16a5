"""Pages. Each view parses input, calls selectors, and renders. htmx requests (HX-Request header)
get only the part of the page they swap; the same URL without JavaScript renders the full page."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.crm import selectors as crm_selectors
from closedloop.insights import selectors as insights_selectors
from closedloop.sla import selectors as sla_selectors
from closedloop.web.forms import ContactFilterForm, DashboardFilterForm

CONTACTS_PER_PAGE = 50
# The timeline shows this many touchpoints, then a "show more" button loads the next page.
EVENTS_PER_PAGE = 200
ACTIVITIES_SHOWN = 50


def _is_htmx(request: HttpRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@requires(Permission.VIEW_DASHBOARD)
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = insights_selectors.campaigns_visible_to(user=request.user)  # type: ignore[arg-type]
    form = DashboardFilterForm(
        request.GET, campaigns=insights_selectors.campaign_options(campaigns_visible=scope)
    )
    filters = form.filters()
    data = insights_selectors.dashboard_get(
        start=filters.period.start,
        end=filters.period.end,
        campaign_id=filters.campaign_id,
        channel=filters.channel,
        campaigns_visible=scope,
    )
    context = {
        "form": form,
        "filters": filters,
        "period": filters.period,
        "data": data,
        "is_partner": scope is not None,
    }
    template = "web/_dashboard.html" if _is_htmx(request) else "web/dashboard.html"
    return render(request, template, context)


@requires(Permission.VIEW_CONTACTS)
def contact_list(request: HttpRequest) -> HttpResponse:
    form = ContactFilterForm(request.GET, campaigns=insights_selectors.campaign_options())
    contacts = crm_selectors.contact_list(**form.filters())
    page = Paginator(contacts, CONTACTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    is_results_swap = _is_htmx(request) and request.headers.get("HX-Target") == "contact-results"
    template = "web/_contact_results.html" if is_results_swap else "web/contact_list.html"
    return render(request, template, context)


@requires(Permission.VIEW_CONTACTS)
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = crm_selectors.contact_get(contact_id=contact_id)
    if contact is None:
        raise Http404("No such contact.")
    events = Paginator(crm_selectors.contact_touchpoints(contact=contact), EVENTS_PER_PAGE).get_page(
        request.GET.get("events")
    )
    if _is_htmx(request) and "events" in request.GET:
        # "Show more" appends the next page of the timeline.
        return render(request, "web/_timeline_rows.html", {"contact": contact, "events": events})
    context = {
        "contact": contact,
        "events": events,
        "history": crm_selectors.contact_stage_history(contact=contact),
        "deals": crm_selectors.contact_deals(contact=contact),
        "activities": crm_selectors.contact_activities(contact=contact)[:ACTIVITIES_SHOWN],
        "sla_clocks": list(sla_selectors.clocks_for_contact(contact_id=contact.pk)),
    }
    return render(request, "web/contact_detail.html", context)
