from datetime import UTC, datetime

import pytest

from closedloop.accounts.roles import Role, TeamKind
from closedloop.content.selectors.search import search_index_reset
from closedloop.content.services import asset_create, asset_review, asset_transition, persona_create
from tests.factories import TeamFactory, UserFactory

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc(settings, tmp_path):
    settings.TIME_ZONE = "UTC"
    settings.MEDIA_ROOT = tmp_path / "media"
    # Rolled-back tests reuse ids and timestamps, so an index built in one test must not leak.
    search_index_reset()


@pytest.fixture
def marketing(db):
    return TeamFactory(name="Marketing", kind=TeamKind.MARKETING)


@pytest.fixture
def sales(db):
    return TeamFactory(name="Sales", kind=TeamKind.SALES)


@pytest.fixture
def marketer(marketing):
    return UserFactory(
        username="tom", role=Role.MARKETER, team=marketing, first_name="Tom", last_name="Becker"
    )


@pytest.fixture
def rep(sales):
    return UserFactory(
        username="alex", role=Role.SALES_REP, team=sales, first_name="Alex", last_name="Morgan"
    )


@pytest.fixture
def head_of_sales(sales):
    return UserFactory(
        username="sam", role=Role.HEAD_OF_SALES, team=sales, first_name="Sam", last_name="Rivera"
    )


@pytest.fixture
def partner(db):
    agency = TeamFactory(name="Brightlane Agency", kind=TeamKind.PARTNER)
    return UserFactory(username="jamie", role=Role.PARTNER, team=agency)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="rae", role=Role.ADMIN)


@pytest.fixture
def ops_persona(marketer):
    return persona_create(slug="ops_manager", name="Olivia, operations manager", by=marketer, now=NOW)


def published_asset(
    marketer, rep, *, title="Case study: Harborline", body="<p>Late shipments fell 31%.</p>", **kw
):
    """An asset taken the whole way: idea → brief → in review → approved by sales → published."""
    asset = asset_create(title=title, asset_type=kw.pop("asset_type", "case_study"), body_html=body, by=marketer,
                         now=NOW, **kw)  # fmt: skip
    for status in ("brief", "in_review"):
        asset = asset_transition(asset=asset, to_status=status, by=marketer, now=NOW)
    asset_review(asset=asset, decision="approved", by=rep, now=NOW)
    return asset_transition(asset=asset, to_status="published", by=marketer, now=NOW)
