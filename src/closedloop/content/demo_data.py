"""Demo personas and content: the five personas written by both teams, the Northwind Ops library
(published, with sales approvals), ideas and briefs reps shortlisted and commented, a calendar
around today, tracked shares to real deals with opens and time spent, prospect feedback and the
searches reps ran. History rows go in with bulk_create; the latest shares go through the real
services so the inbox and the contact timelines show them."""

import random
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.accounts.roles import Role
from closedloop.content.demo_library import LIBRARY
from closedloop.content.demo_personas import PERSONAS
from closedloop.content.models import (
    AssetReview,
    AssetTag,
    AssetVersion,
    CalendarEntry,
    ContentAsset,
    LinkView,
    Persona,
    PersonaComment,
    PersonaContribution,
    ProspectFeedback,
    SearchQuery,
    SharedLink,
)
from closedloop.content.rich_text import html_sanitize
from closedloop.content.selectors.search import normalize_query
from closedloop.content.services import (
    asset_create,
    asset_review,
    asset_shortlist_toggle,
    asset_transition,
    brief_comment_add,
    brief_save,
    shared_link_create,
    shared_link_open,
)
from closedloop.crm.models import Deal

SEED = 2718
_NO_MAIL = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
# Seed 003: most marketing content goes unused; reps lean on a few favourites.
FAVOURITES = ("harborline_case", "roi_worksheet", "cmp_spreadsheets", "script_pricing_objection", "security_overview",
              "battlecard_opsboard", "email_after_demo", "case_meridian", "onepager_implementation", "pricing_sheet")  # fmt: skip
WEAK_SEARCHES = ("healthcare case study", "construction customer reference", "german translation of the product sheet",
                 "reseller partner program", "video testimonial", "healthcare case study", "hipaa compliance")  # fmt: skip
GOOD_SEARCHES = ("pricing objection", "opsboard comparison", "security questionnaire answers", "roi", "case study logistics",
                 "follow up after demo", "sso integration", "downtime cost")  # fmt: skip


def seed(log: Callable[[str], object]) -> None:
    if ContentAsset.objects.exists():
        log("Content: already seeded")
        return
    rng = random.Random(SEED)
    now = timezone.now()
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    marketers = [u for u in users.values() if u.role in (Role.MARKETER, Role.HEAD_OF_MARKETING)]
    reps = [u for u in users.values() if u.role in (Role.SALES_REP, Role.HEAD_OF_SALES)]
    if not marketers or not reps:
        log("Content: no marketing or sales users, skipped")
        return
    with override_settings(MAILERS=_NO_MAIL), transaction.atomic():
        _personas(rng, now, marketers, reps)
        assets = _library(rng, now, marketers, reps)
        _pipeline(rng, now, marketers, reps)
        _calendar(rng, now, marketers, assets)
        shares = _shares(rng, now, reps, assets)
        _feedback(rng, now, reps, assets)
        _searches(rng, now, reps)
    log(f"Content: {len(PERSONAS)} personas, {len(assets)} published assets, {shares} tracked shares")


def _personas(rng: random.Random, now, marketers: list[User], reps: list[User]) -> None:  # type: ignore[no-untyped-def]
    for slug, name, summary, items in PERSONAS:
        created = now - timedelta(days=150)
        persona = Persona.objects.create(slug=slug, name=name, summary=summary, match_rule=f'persona == "{slug}"',
                                         created_by=marketers[0], created_at=created, updated_at=now)  # fmt: skip
        contributions = []
        for i, (section, stage, side, text) in enumerate(items):
            author = rng.choice(marketers if side == "marketing" else reps)
            contributions.append(PersonaContribution(
                persona=persona, section=section, stage=stage, text=text, side=side, author=author,
                created_at=created + timedelta(days=3 * i + rng.randint(0, 2)),
            ))  # fmt: skip
        PersonaContribution.objects.bulk_create(contributions)
        first = persona.contributions.order_by("id").first()
        PersonaComment.objects.create(persona=persona, contribution=first, side="sales", author=rng.choice(reps),
                                      body="Matches what I hear on discovery calls.", created_at=now - timedelta(days=20))  # fmt: skip


def _library(rng: random.Random, now, marketers: list[User], reps: list[User]) -> dict[str, ContentAsset]:  # type: ignore[no-untyped-def]
    assets: dict[str, ContentAsset] = {}
    for i, item in enumerate(LIBRARY):
        published = now - timedelta(days=rng.randint(20, 170))
        assets[item.key] = ContentAsset(
            title=item.title, asset_type=item.asset_type, summary=item.summary,
            body_html=html_sanitize(f"<p>{item.summary}</p><p>{item.body}</p>"), owner=marketers[i % len(marketers)],
            status="published", version=1, published_at=published, created_at=published - timedelta(days=14),
            updated_at=published,
        )  # fmt: skip
    ContentAsset.objects.bulk_create(assets.values())
    tags, versions, reviews = [], [], []
    for item in LIBRARY:
        asset = assets[item.key]
        tags += [AssetTag(asset=asset, kind="stage", value=s) for s in item.stages]
        tags += [AssetTag(asset=asset, kind="persona", value=p) for p in item.personas]
        tags += [AssetTag(asset=asset, kind="product", value=p) for p in item.products]
        versions.append(AssetVersion(asset=asset, number=1, title=asset.title, summary=asset.summary,
                                     body_html=asset.body_html, note="created", created_by=asset.owner,
                                     created_at=asset.created_at))  # fmt: skip
        reviews.append(AssetReview(asset=asset, version=1, reviewer=rng.choice(reps), decision="approved",
                                   created_at=asset.published_at - timedelta(days=1)))  # fmt: skip
    AssetTag.objects.bulk_create(tags)
    AssetVersion.objects.bulk_create(versions)
    AssetReview.objects.bulk_create(reviews)
    return assets


def _pipeline(rng: random.Random, now, marketers: list[User], reps: list[User]) -> None:  # type: ignore[no-untyped-def]
    """A few assets still being made, through the real services: ideas reps shortlisted, briefs
    with sales comments, one draft waiting for sales review."""
    ideas = [
        (
            "Case study: a healthcare network's supply rooms",
            "case_study",
            "Reps keep asking for a healthcare reference",
        ),
        (
            "Construction site equipment uptime one-pager",
            "one_pager",
            "Two construction deals stalled without proof",
        ),
        ("Objection handling: 'we will build it in Power BI'", "sales_script", ""),
        ("Retail store replenishment webinar", "webinar", ""),
    ]
    for n, (title, kind, goal) in enumerate(ideas):
        asset = asset_create(
            title=title, asset_type=kind, by=marketers[n % len(marketers)], now=now - timedelta(days=12 - n)
        )
        for rep in rng.sample(reps, k=min(len(reps), 3 - n % 3)):
            asset_shortlist_toggle(asset=asset, by=rep, now=now - timedelta(days=10 - n))
        if goal:
            brief = brief_save(asset=asset, goal=goal, sales_questions="Which results, in which time, with how many sites?",
                               by=marketers[0], now=now - timedelta(days=9))  # fmt: skip
            brief_comment_add(brief=brief, body="Name the customer; prospects discount anonymous stories.",
                              by=rng.choice(reps), now=now - timedelta(days=8))  # fmt: skip
    draft = asset_create(title="Northwind Ops vs OpsBoard: 2026 update", asset_type="competitor_comparison",
                         body_html="<p>OpsBoard added forecasting in March; here is what changed and what did not.</p>",
                         tags={"stage": ["opportunity"], "persona": ["ops_manager"]}, by=marketers[0],
                         now=now - timedelta(days=6))  # fmt: skip
    asset_transition(asset=draft, to_status="brief", by=marketers[0], now=now - timedelta(days=5))
    asset_transition(asset=draft, to_status="in_review", by=marketers[0], now=now - timedelta(days=3))
    asset_review(asset=draft, decision="changes_requested", comment="Add their new pricing page; reps get asked weekly.",
                 by=reps[0], now=now - timedelta(days=2))  # fmt: skip


def _calendar(rng: random.Random, now, marketers: list[User], assets: dict[str, ContentAsset]) -> None:  # type: ignore[no-untyped-def]
    plan = [("blog_late_shipments", "organic"), ("webinar_warehouse_kpis", "email"), ("kpi_playbook", "social"),
            ("blog_oee", "organic"), ("webinar_customer_panel", "events"), ("cfo_guide", "email"),
            ("blog_founder_metrics", "social"), ("case_brightpath", "email"), ("blog_data_quality", "organic"),
            ("webinar_forecasting", "email"), ("state_of_field_ops", "social"), ("blog_forecasting", "organic")]  # fmt: skip
    today = timezone.localdate()
    entries = []
    for i, (key, channel) in enumerate(plan):
        day = today + timedelta(days=-21 + i * 5 + rng.randint(0, 2))
        asset = assets[key]
        entries.append(CalendarEntry(title=asset.title, asset=asset, channel=channel, owner=marketers[i % len(marketers)],
                                     publish_on=day, note="", created_at=now - timedelta(days=30)))  # fmt: skip
    entries.append(CalendarEntry(title="Newsletter: what changed in OpsBoard", channel="email", owner=marketers[0],
                                 publish_on=today + timedelta(days=9), created_at=now))  # fmt: skip
    CalendarEntry.objects.bulk_create(entries)


def _shares(rng: random.Random, now, reps: list[User], assets: dict[str, ContentAsset]) -> int:  # type: ignore[no-untyped-def]
    deals = list(Deal.objects.filter(contact__isnull=False).select_related("contact").order_by("id"))
    if not deals:
        return 0
    favourites = [assets[k] for k in FAVOURITES]
    others = [a for k, a in assets.items() if k not in FAVOURITES]
    links: list[SharedLink] = []
    for deal in rng.sample(deals, k=min(len(deals), 160)):
        # Reps send proof more often to deals they are winning: the influence report shows it.
        k = 2 if deal.stage == Deal.DealStage.WON and rng.random() < 0.6 else 1
        for _ in range(k):
            asset = rng.choice(favourites) if rng.random() < 0.85 else rng.choice(others[:8])
            at = deal.created_at + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8))
            if at >= now - timedelta(days=2):
                continue
            opens = rng.choice((0, 0, 1, 1, 2, 3))
            first = at + timedelta(hours=rng.randint(1, 30)) if opens else None
            links.append(SharedLink(
                asset=asset, version=asset.version, public_id=secrets.token_urlsafe(16), contact=deal.contact,
                deal=deal, title=asset.title, intro=f"Hi {deal.contact.first_name}, as promised.",
                body_html=asset.body_html, contact_stage=deal.contact.lifecycle_stage, created_by=deal.owner or rng.choice(reps),
                created_at=at, open_count=opens, first_opened_at=first, last_opened_at=first,
                seconds_viewed=opens * rng.randint(20, 240),
            ))  # fmt: skip
    SharedLink.objects.bulk_create(links)
    views = [
        LinkView(link=link, view_key=secrets.token_urlsafe(16)[:32], opened_at=link.first_opened_at,
                 seconds=link.seconds_viewed // link.open_count)
        for link in links if link.open_count
    ]  # fmt: skip
    LinkView.objects.bulk_create(views)
    # The latest few go through the real services: the reps' inboxes and the contacts' timelines show them.
    open_deals = [
        d for d in deals if d.stage not in (Deal.DealStage.WON, Deal.DealStage.LOST) and d.contact.email
    ]
    for deal in rng.sample(open_deals, k=min(len(open_deals), 6)):
        asset = rng.choice(favourites)
        by = (
            deal.owner
            if deal.owner and deal.owner.role in (Role.SALES_REP, Role.HEAD_OF_SALES)
            else rng.choice(reps)
        )
        link = shared_link_create(asset=asset, deal=deal, by=by, intro=f"Hi {deal.contact.first_name}, here it is.",
                                  now=now - timedelta(hours=rng.randint(3, 30)))  # fmt: skip
        shared_link_open(
            token=_token(link), user_agent="Mozilla/5.0 (demo)", now=now - timedelta(hours=rng.randint(0, 2))
        )
    return len(links) + min(len(open_deals), 6)


def _token(link: SharedLink) -> str:
    from closedloop.content.share_urls import share_token

    return share_token(link.public_id)


def _feedback(rng: random.Random, now, reps: list[User], assets: dict[str, ContentAsset]) -> None:  # type: ignore[no-untyped-def]
    notes = [("harborline_case", "helped", "Logistics prospect asked for an intro to Harborline"),
             ("roi_worksheet", "helped", "CFO filled it in with us on the call"),
             ("cmp_bi_tools", "neutral", "IT still wants to build it themselves"),
             ("state_of_field_ops", "hurt", "Too long; the prospect never got past page 3"),
             ("script_pricing_objection", "helped", "Reframing on late-order cost worked twice this week")]  # fmt: skip
    ProspectFeedback.objects.bulk_create([
        ProspectFeedback(asset=assets[k], author=rng.choice(reps), outcome=o, note=n, created_at=now - timedelta(days=3 + i))
        for i, (k, o, n) in enumerate(notes)
    ])  # fmt: skip


def _searches(rng: random.Random, now, reps: list[User]) -> None:  # type: ignore[no-untyped-def]
    rows = []
    for i, text in enumerate(WEAK_SEARCHES + GOOD_SEARCHES):
        weak = i < len(WEAK_SEARCHES)
        rows.append(SearchQuery(
            user=rng.choice(reps), text=text, normalized=normalize_query(text), result_count=rng.randint(0, 4) if weak else 8,
            best_score=round(rng.uniform(0.05, 0.28), 3) if weak else round(rng.uniform(0.45, 0.8), 3),
            best_coverage=0.4 if weak else 1.0, at=now - timedelta(days=rng.randint(1, 25)),
        ))  # fmt: skip
    SearchQuery.objects.bulk_create(rows)
