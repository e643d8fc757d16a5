"""Each contact's touchpoints, stage changes, deal and the reps' activities, plus the anonymous
visitors who never gave their details — laid out in time so that every stage change has the event
that caused it (a download makes an IQL, a webinar or pricing visit an MQL, a demo request an SQL)."""

import json
from dataclasses import dataclass, field
from random import Random

import numpy as np

from closedloop.demo import company, vocab
from closedloop.demo.clock import DAY, Clock
from closedloop.demo.funnel import SIZE_EDGES, Population
from closedloop.tracking.models import Channel, EventType

AD_CLICK, PAGE_VIEW, CALL = EventType.AD_CLICK.value, EventType.PAGE_VIEW.value, EventType.CALL.value
FORM, OPEN, CLICK = EventType.FORM_SUBMIT.value, EventType.EMAIL_OPEN.value, EventType.EMAIL_CLICK.value
DOWNLOAD, WEBINAR = EventType.CONTENT_DOWNLOAD.value, EventType.WEBINAR_ATTENDED.value
MEETING = EventType.MEETING_BOOKED.value
PAID = {Channel.PPC.value, Channel.SOCIAL.value, Channel.PARTNER.value}
SITE = company.SITE

STAGE_BASE_SCORE = (5, 18, 42, 60, 68, 74, 35)
PERSONA_FIT = (10, 4, 6, 8, 0)
SIZE_FIT = (-5, 5, 8, 4)
CHURN_REASONS = ("low adoption", "budget cut", "moved to a competitor", "acquired by another company")


def _props(**values: object) -> str:
    return json.dumps(values, separators=(",", ":"))


@dataclass
class Journeys:
    # Events: (ts, type, contact index or -1, visitor id, campaign index or -1, utm_term, utm_content, url,
    # properties as JSON text)
    events: list[tuple] = field(default_factory=list)
    transitions: list[tuple[int, str, str, int, str]] = field(default_factory=list)
    identities: list[tuple[str, int, int]] = field(default_factory=list)
    # (kind, subject, body, contact index, deal index or -1, rep index, ts)
    activities: list[tuple] = field(default_factory=list)
    # (account, contact, rep, product, amount, stage, lost_reason, campaign, created ts, closed ts or -1)
    deals: list[tuple] = field(default_factory=list)
    lead_score: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    phone: list[str] = field(default_factory=list)


class _Site:
    """URLs and event properties, built once: formatting them per event would dominate the run."""

    def __init__(self) -> None:
        self.lp = []
        for spec in company.CAMPAIGNS:
            query = f"utm_source={spec.utm_source}&utm_medium={spec.utm_medium}&utm_campaign={spec.key}"
            self.lp.append(f"{SITE}{spec.landing_path}?{query}")
        organic = "?utm_source=google&utm_medium=organic&utm_campaign=organic-seo"
        self.blog = [f"{SITE}{p}{organic}" for p in vocab.BLOG_PATHS]
        self.product = [f"{SITE}{p}" for p in vocab.PRODUCT_PATHS]
        self.pricing = f"{SITE}{vocab.PRICING_PATH}"
        self.email_slugs = [
            s.lower().replace(":", "").replace("?", "").replace(" ", "-") for s in vocab.EMAIL_SUBJECTS
        ]
        self.email_props = [_props(email=s) for s in vocab.EMAIL_SUBJECTS]
        self.email_urls = [
            f"{SITE}{vocab.BLOG_PATHS[i % len(vocab.BLOG_PATHS)]}?utm_source=newsletter&utm_medium=email"
            f"&utm_campaign=email-ops-playbook&utm_content={slug}"
            for i, slug in enumerate(self.email_slugs)
        ]
        self.tofu = [_props(asset=a) for a in vocab.TOFU_ASSETS]
        self.bofu = [_props(asset=a) for a in vocab.BOFU_ASSETS]
        self.roi = _props(asset="ROI worksheet", shared_by_sales=True)
        self.webinars = [_props(webinar=w) for w in vocab.WEBINARS]
        self.forms = {
            name: _props(form=name)
            for name in (
                "content-download", "newsletter-signup", "webinar-registration", "free-trial-signup",
                "referral-pilot-request", "contact-us", "demo-request",
            )
        }  # fmt: skip
        self.meetings = [_props(with_rep=r.username, kind="demo") for r in company.REPS]
        self.sales_email = _props(email="Northwind Ops overview and next steps", sent_by="sales")
        self.resources = f"{SITE}/resources"


def _first_form(c: int, same_visit_download: bool) -> str:
    if c == company.STORY:
        return "free-trial-signup"
    if same_visit_download:
        return "content-download"
    channel = company.CAMPAIGNS[c].channel if c >= 0 else ""
    return {
        Channel.EVENTS.value: "webinar-registration",
        Channel.REFERRAL.value: "referral-pilot-request",
        Channel.EMAIL.value: "newsletter-signup",
    }.get(channel, "contact-us")


def contact_journeys(
    rnd: Random, clock: Clock, pop: Population, employees: np.ndarray, vids: list[str]
) -> Journeys:
    out = Journeys()
    site = _Site()
    end = clock.end_ts
    snap = clock.snap1
    r, ri, ru = rnd.random, rnd.randint, rnd.uniform
    specs = company.CAMPAIGNS
    story, email_c, events_c, retarget_c = company.STORY, company.EMAIL, company.EVENTS, company.RETARGETING
    retarget_from = clock.start_ts + specs[retarget_c].start_day * DAY
    size_bucket = np.searchsorted(SIZE_EDGES, employees[pop.account], side="right").tolist()
    # Python lists: indexing numpy arrays one value at a time would be several times slower.
    cols = [
        a.tolist()
        for a in (
            pop.campaign, pop.zone, pop.created, pop.t_iql, pop.t_mql, pop.t_sql, pop.t_opp, pop.t_close,
            pop.won, pop.t_churn, pop.owner, pop.persona, pop.stage, pop.amount, pop.product, pop.lost_reason,
            pop.account,
        )
    ]  # fmt: skip
    events, transitions, activities, deals = out.events, out.transitions, out.activities, out.deals

    def session(evs: list, t: int, c: int, vid: str) -> None:
        """A visit that started from campaign c: the ad click or email click, then the landing page."""
        if c < 0:
            evs.append((t, PAGE_VIEW, vid, -1, "", "", SITE + "/", "{}"))
            return
        spec = specs[c]
        if spec.channel in PAID:
            term = spec.terms[ri(0, len(spec.terms) - 1)] if spec.terms else ""
            content = "ad-" + "abc"[ri(0, 2)]
            evs.append((t, AD_CLICK, vid, c, term, content, site.lp[c], "{}"))
            evs.append((t + ri(3, 40), PAGE_VIEW, vid, c, term, content, site.lp[c], "{}"))
        elif spec.channel == Channel.ORGANIC.value:
            evs.append((t, PAGE_VIEW, vid, c, "", "", site.blog[ri(0, len(site.blog) - 1)], "{}"))
        elif c == email_c:
            k = ri(0, len(site.email_props) - 1)
            evs.append((t, CLICK, vid, c, "", site.email_slugs[k], site.email_urls[k], site.email_props[k]))
            evs.append((t + ri(2, 20), PAGE_VIEW, vid, c, "", site.email_slugs[k], site.lp[c], "{}"))
        else:
            evs.append((t, PAGE_VIEW, vid, c, "", "", site.lp[c], "{}"))

    def email_touch(evs: list, t: int, k: int, vid: str, counts: list[int], click_p: float) -> None:
        k %= len(site.email_props)
        slug, props = site.email_slugs[k], site.email_props[k]
        evs.append((t, OPEN, "", email_c, "", slug, "", props))
        counts[0] += 1
        if r() < click_p:
            tc = t + ri(20, 900)
            evs.append((tc, CLICK, vid, email_c, "", slug, site.email_urls[k], props))
            counts[1] += 1
            if r() < 0.7:
                evs.append((tc + ri(2, 30), PAGE_VIEW, vid, email_c, "", slug, site.email_urls[k], "{}"))

    for i, row in enumerate(zip(*cols, strict=True)):
        c, z, t0, ti, tm, tsq, to, tclose, won, tch, owner, persona, stage, amount, product, reason, acct = (
            row
        )
        vid = vids[i]
        evs: list[tuple] = []
        counts = [0, 0, 0, 0]  # opens, clicks, downloads, webinars
        spec = specs[c] if c >= 0 else None
        is_story = c == story

        # Anonymous visits before identification: stitched to the contact once they give details.
        if r() < (0.3 if is_story else 0.55):
            tp = snap(rnd, t0 - ru(0.2, 10) * DAY, z)
            if tp >= t0 - 600:
                tp = t0 - ri(3600, 3 * DAY)
            if tp >= clock.start_ts:
                session(evs, tp, c, vid)
                if r() < 0.35:
                    t2 = tp + ri(600, max(601, t0 - tp - 300))
                    evs.append(
                        (t2, PAGE_VIEW, vid, -1, "", "", site.product[ri(0, len(site.product) - 1)], "{}")
                    )

        # Identification: a form, or a call to the campaign's tracking number.
        if spec is not None and spec.tracking_phone and r() < (0.45 if is_story else 0.15):
            session(evs, t0 - ri(60, 900), c, vid)
            props = _props(tracking_number=spec.tracking_phone, duration_s=ri(40, 900))
            evs.append((t0, CALL, vid, c, "", "", "", props))
            out.phone.append(f"+1 555 01{ri(0, 99):02d}")
        else:
            session(evs, t0 - ri(20, 300), c, vid)
            form = _first_form(c, ti < end and ti - t0 <= 600)
            evs.append(
                (t0, FORM, vid, c, "", "", site.lp[c] if c >= 0 else SITE + "/contact", site.forms[form])
            )
            out.phone.append("")
        transitions.append((i, "", "visitor", t0, "first form or call"))

        if ti < end:
            transitions.append((i, "visitor", "iql", ti, "gave contact details for content"))
            if not is_story:
                asset = site.tofu[ri(0, len(site.tofu) - 1)]
                if ti - t0 <= 600:
                    evs.append((ti, DOWNLOAD, vid, c, "", "", site.resources, asset))
                else:
                    email_touch(evs, ti - ri(60, 600), ri(0, 7), vid, counts, 0.0)
                    evs.append((ti - 30, CLICK, vid, email_c, "", "", site.resources, asset))
                    evs.append((ti, DOWNLOAD, vid, email_c, "", "", site.resources, asset))
                counts[2] += 1

        # Nurture until MQL: emails (opens and clicks), return visits, the agency's retargeting ads.
        start = ti if ti < end else t0
        stop = min(tm, end)
        t, k = start + ru(2, 5) * DAY, 0
        open_p = 0.34 * (1.2 if persona == 4 else 1.0)
        while t < stop and k < 10:
            if r() < open_p * 0.93**k:
                to_ = snap(rnd, t, z)
                if to_ < stop:
                    email_touch(evs, to_, k + ri(0, 3), vid, counts, 0.28)
            t += ru(11, 17) * DAY
            k += 1
        t = start + rnd.expovariate(1 / (35 * DAY))
        while t < stop:
            tv = snap(rnd, t, z)
            if start < tv < stop:
                url = site.blog[ri(0, len(site.blog) - 1)] if r() < 0.6 else site.product[ri(0, 4)]
                evs.append((tv, PAGE_VIEW, vid, company.ORGANIC if "utm_" in url else -1, "", "", url, "{}"))
            t += rnd.expovariate(1 / (35 * DAY))
        if r() < 0.12:
            tr = snap(rnd, ru(start, stop), z)
            if retarget_from <= tr < stop:
                session(evs, tr, retarget_c, vid)

        if tm < end:
            transitions.append((i, "iql", "mql", tm, "engaged with bottom-of-funnel content"))
            if c == events_c or r() < 0.3:
                w = (clock.day_index(tm) // 28) % len(site.webinars)
                evs.append((tm, WEBINAR, vid, events_c, "", "", SITE + "/webinars", site.webinars[w]))
                counts[3] += 1
            else:
                evs.append((max(ti + 1, tm - ri(30, 300)), PAGE_VIEW, vid, -1, "", "", site.pricing, "{}"))
                evs.append(
                    (tm, DOWNLOAD, vid, -1, "", "", site.resources, site.bofu[ri(0, len(site.bofu) - 1)])
                )
                counts[2] += 1
            for _ in range(ri(1, 2)):
                tv = snap(rnd, tm + ru(0.5, 12) * DAY, z)
                if tv < min(tsq, end):
                    evs.append((tv, PAGE_VIEW, vid, -1, "", "", site.product[ri(0, 4)], "{}"))

        deal = -1
        if tsq < end:
            transitions.append((i, "mql", "sql", tsq, "requested a demo"))
            evs.append(
                (
                    max(tm + 1, tsq - ri(60, 600)),
                    FORM,
                    vid,
                    -1,
                    "",
                    "",
                    SITE + "/demo",
                    site.forms["demo-request"],
                )
            )
            evs.append((tsq, MEETING, vid, -1, "", "", "", site.meetings[owner]))
            if r() < 0.6:
                evs.append((tsq + ri(1, 4) * DAY + ri(0, 3600), OPEN, "", -1, "", "", "", site.sales_email))
            name = f"{pop.first_name[i]} {pop.last_name[i]}"
            activities.append(
                ("call", f"Intro call with {name}", "", i, -1, owner, tsq + ri(1200, 30 * 3600))
            )
            activities.append(
                ("email", "Northwind Ops overview and next steps", "", i, -1, owner, tsq + ri(1, 3) * DAY)
            )
            if to >= end:
                if r() < 0.5:
                    activities.append(
                        ("call", f"Follow-up call with {name}", "", i, -1, owner, tsq + ri(4, 12) * DAY)
                    )
                if r() < 0.35:
                    activities.append(
                        (
                            "note",
                            "Not ready yet",
                            "Back to marketing nurture.",
                            i,
                            -1,
                            owner,
                            tsq + ri(10, 20) * DAY,
                        )
                    )

        if to < end:
            transitions.append((i, "sql", "opportunity", to, "qualified by sales"))
            deal = len(deals)
            closed = tclose < end
            if closed:
                deal_stage = "won" if won else "lost"
            else:
                elapsed = (end - to) / max(1, tclose - to)
                deal_stage = "prospecting" if elapsed < 0.35 else "engaging" if elapsed < 0.7 else "proposal"
            deals.append(
                (acct, i, owner, vocab.PRODUCTS[product], amount, deal_stage,
                 vocab.LOST_REASONS[reason] if deal_stage == "lost" else "", c, to, tclose if closed else -1)
            )  # fmt: skip
            evs.append(
                (max(tsq + 60, to - ri(600, 3600)), MEETING, vid, -1, "", "", "", site.meetings[owner])
            )
            evs.append((to + ri(2, 6) * DAY, DOWNLOAD, vid, -1, "", "", site.resources, site.roi))
            activities.append(("meeting", "Discovery call", "", i, deal, owner, to))
            activities.append(("meeting", "Product demo", "", i, deal, owner, to + ri(3, 10) * DAY))
            proposal_at = to + int(0.6 * (tclose - to))
            if proposal_at < min(end, tclose):
                activities.append(
                    ("email", f"Proposal: {vocab.PRODUCTS[product]}", "", i, deal, owner, proposal_at)
                )
            if closed:
                note = (
                    "Closed won – contract signed" if won else f"Closed lost – {vocab.LOST_REASONS[reason]}"
                )
                activities.append(("note", note, "", i, deal, owner, tclose))
            if closed and won:
                transitions.append((i, "opportunity", "customer", tclose, "deal won"))
                activities.append(
                    ("meeting", "Kickoff and onboarding", "", i, deal, owner, tclose + ri(2, 7) * DAY)
                )
        if tch < end:
            why = CHURN_REASONS[ri(0, len(CHURN_REASONS) - 1)]
            transitions.append((i, "customer", "churned", tch, f"did not renew: {why}"))
            activities.append(("note", "Customer churned", f"Did not renew: {why}.", i, deal, owner, tch))

        evs = [e for e in evs if e[0] < end]
        evs.sort(key=lambda e: e[0])
        if evs and vid:
            first_known = next((e[0] for e in evs if e[0] >= t0), t0)
            out.identities.append((vid, i, first_known))
        for e in evs:
            events.append((e[0], e[1], i, e[2], e[3], e[4], e[5], e[6], e[7]))
        engagement = counts[0] + 2 * counts[1] + 4 * counts[2] + 6 * counts[3]
        score = (
            STAGE_BASE_SCORE[stage] + PERSONA_FIT[persona] + SIZE_FIT[size_bucket[i]]
            + min(engagement, 25) + rnd.gauss(0, 5)
        )  # fmt: skip
        out.lead_score.append(max(0, min(100, round(score))))
        out.updated.append(max(evs[-1][0] if evs else t0, transitions[-1][3]))
    out.activities = [a for a in activities if a[6] < end]
    return out


def anonymous_sessions(
    rnd: Random, clock: Clock, costs: np.ndarray, contacts_per_campaign: np.ndarray, zones: list[int]
) -> list[tuple]:
    """Visitors who clicked and left without giving details. Paid campaigns bring them in proportion
    to spend; seed 000's campaign brings many (and calls to its number) and almost no one else."""
    site = _Site()
    out: list[tuple] = []
    seq = 0
    for c, spec in enumerate(company.CAMPAIGNS):
        spend = costs[c]
        if c == company.STORY:
            sessions = round(float(spend.sum()) / spec.cost_per_click)
        else:
            sessions = round(float(contacts_per_campaign[c]) * spec.anonymous_per_contact)
        if sessions <= 0 or spend.sum() <= 0:
            continue
        day_p = (spend / spend.sum()).tolist()
        days = rnd.choices(range(clock.days), weights=day_p, k=sessions)
        paid = spec.channel in PAID
        for d in days:
            seq += 1
            vid = f"anon-{seq:07d}"
            z = zones[ri_(rnd, len(zones))]
            t = clock.snap1(rnd, clock.day_start[z, d] + 43_200, z)
            if paid:
                term = spec.terms[ri_(rnd, len(spec.terms))] if spec.terms else ""
                content = "ad-" + "abc"[ri_(rnd, 3)]
                out.append((t, AD_CLICK, -1, vid, c, term, content, site.lp[c], "{}"))
                bounce = 0.4 if c == company.STORY else 0.15
                if rnd.random() < bounce:
                    continue
                out.append((t + rnd.randint(3, 40), PAGE_VIEW, -1, vid, c, term, content, site.lp[c], "{}"))
            else:
                url = site.blog[ri_(rnd, len(site.blog))] if c == company.ORGANIC else site.lp[c]
                out.append((t, PAGE_VIEW, -1, vid, c, "", "", url, "{}"))
            for _ in range(_more_pages(rnd)):
                t += rnd.randint(20, 400)
                out.append((t, PAGE_VIEW, -1, vid, -1, "", "", site.product[ri_(rnd, 5)], "{}"))
        if spec.tracking_phone:
            # Calls to the tracking number from people who never left an email; seed 000's campaign
            # gets a dozen a day (they ask for the free trial that does not exist).
            per_day = spend / (95.0 if c == company.STORY else 400.0)
            for d in range(clock.days):
                for _ in range(_poisson(rnd, per_day[d])):
                    z = zones[ri_(rnd, len(zones))]
                    t = clock.snap1(rnd, clock.day_start[z, d] + 43_200, z)
                    props = _props(tracking_number=spec.tracking_phone, duration_s=rnd.randint(15, 300))
                    out.append((t, CALL, -1, "", c, "", "", "", props))
    out = [e for e in out if clock.start_ts <= e[0] < clock.end_ts]
    out.sort(key=lambda e: (e[0], e[3]))
    return out


def ri_(rnd: Random, n: int) -> int:
    return int(rnd.random() * n)


def _more_pages(rnd: Random) -> int:
    u = rnd.random()
    return 0 if u < 0.55 else 1 if u < 0.85 else 2


def _poisson(rnd: Random, lam: float) -> int:
    # Knuth's method; lam is small (calls per day).
    limit, k, p = np.exp(-lam), 0, rnd.random()
    while p > limit:
        k += 1
        p *= rnd.random()
    return k
