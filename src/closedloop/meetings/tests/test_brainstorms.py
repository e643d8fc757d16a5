"""Brainstorms: anonymity of ideas (even for admins), the ten-person limit, the sales rotation,
voting, group passing, idea mapping and chosen ideas becoming action items."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from closedloop.accounts.roles import Role
from closedloop.audit.models import AuditEntry
from closedloop.meetings.models import ActionItem, Brainstorm, BrainstormParticipant, Idea, IdeaBuild
from closedloop.meetings.selectors.brainstorms import ideas_ranked, passing_assignment, rotation_proposal
from closedloop.meetings.services.brainstorms import (
    brainstorm_advance,
    brainstorm_create,
    idea_build,
    idea_choose,
    idea_submit,
    idea_vote,
    theme_assign,
)
from tests.factories import UserFactory

QUESTION = "What would make a lead worth calling within the hour?"


@pytest.fixture
def session(maya, sam, alex):
    return brainstorm_create(
        question=QUESTION,
        technique="nominal_group",
        participants=[maya, sam, alex],
        by=maya,
        votes_per_person=2,
    )


@pytest.mark.django_db
def test_ideas_store_nothing_that_leads_to_their_author(session, maya, sam, alex, admin, client):
    idea_submit(brainstorm=session, text="Call within 5 minutes of a demo request", by=alex)
    # The model itself has no way to hold an author: no user link, no timestamp.
    for model in (Idea, IdeaBuild):
        related = {f.related_model for f in model._meta.get_fields() if f.is_relation}
        assert not any(getattr(m, "_meta", None) and m._meta.label == "accounts.User" for m in related)
        assert not [
            f.name
            for f in model._meta.get_fields()
            if f.get_internal_type() in ("DateTimeField", "DateField")
        ]
    # The audit log says an idea came in, not who sent it.
    entry = AuditEntry.objects.get(action="brainstorm.idea")
    assert (entry.actor, entry.actor_name) == (None, "")
    # Nor do the pages or the API, even for an admin.
    brainstorm_advance(brainstorm=session, by=maya)
    client.force_login(admin)
    html = client.get(f"/meetings/brainstorms/{session.pk}/").content.decode()
    assert "Call within 5 minutes" in html
    body = client.get(f"/api/v1/meetings/brainstorms/{session.pk}").json()
    assert body["ideas"] == [{"id": body["ideas"][0]["id"], "text": "Call within 5 minutes of a demo request",
                              "theme": None, "votes": 0, "chosen": False}]  # fmt: skip
    # And the Django admin has no idea page to look at.
    assert client.get("/admin/meetings/idea/").status_code == 404


@pytest.mark.django_db
def test_only_participants_submit_and_vote_within_their_budget(session, maya, sam, alex, tom):
    with pytest.raises(PermissionDenied):
        idea_submit(brainstorm=session, text="x", by=tom)
    a = idea_submit(brainstorm=session, text="Score demo requests higher", by=alex)
    b = idea_submit(brainstorm=session, text="Route by territory", by=sam)
    c = idea_submit(brainstorm=session, text="Share the persona cards", by=maya)
    with pytest.raises(ValidationError, match="voting is not open"):
        idea_vote(idea=a, by=sam)
    with pytest.raises(PermissionDenied):
        brainstorm_advance(brainstorm=session, by=sam)  # only the facilitator
    brainstorm_advance(brainstorm=session, by=maya)
    with pytest.raises(ValidationError, match="no longer takes ideas"):
        idea_submit(brainstorm=session, text="late", by=alex)
    for voter in (maya, sam, alex):
        idea_vote(idea=a, by=voter)
    idea_vote(idea=c, by=sam)
    with pytest.raises(ValidationError, match="all 2 votes"):
        idea_vote(idea=b, by=sam)
    assert idea_vote(idea=c, by=sam) is False  # taking a vote back frees it
    idea_vote(idea=b, by=sam)
    ranked = ideas_ranked(brainstorm=session)
    assert (ranked[0].text, ranked[0].vote_count) == ("Score demo requests higher", 3)
    assert {(i.text, i.vote_count) for i in ranked[1:]} == {
        ("Route by territory", 1),
        ("Share the persona cards", 0),
    }


@pytest.mark.django_db
def test_at_most_ten_participants_and_one_powerful_question(maya):
    people = [UserFactory(role=Role.SALES_REP) for _ in range(11)]
    with pytest.raises(ValidationError) as err:
        brainstorm_create(question=QUESTION, technique="idea_mapping", participants=people, by=maya)
    assert "at most 10" in err.value.message_dict["participants"][0]
    with pytest.raises(ValidationError) as err:
        brainstorm_create(question=" ", technique="idea_mapping", participants=people[:3], by=maya)
    assert "question" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        brainstorm_create(question=QUESTION, technique="directed", participants=people[:3], by=maya)
    assert "directions" in err.value.message_dict
    assert not Brainstorm.objects.exists()
    brainstorm_create(question=QUESTION, technique="idea_mapping", participants=people[:10], by=maya)


@pytest.mark.django_db
def test_the_rotation_proposes_reps_who_never_joined_then_the_longest_ago(maya):
    ana = UserFactory(username="ana", first_name="Ana", role=Role.SALES_REP)
    ben = UserFactory(username="ben", first_name="Ben", role=Role.SALES_REP)
    UserFactory(username="cy", first_name="Cy", role=Role.SALES_REP)
    UserFactory(username="dee", first_name="Dee", role=Role.SALES_REP)
    for people, when in (
        ([ana, maya], datetime(2026, 5, 1, tzinfo=UTC)),
        ([ben, maya], datetime(2026, 4, 1, tzinfo=UTC)),
    ):
        b = brainstorm_create(question=QUESTION, technique="idea_mapping", participants=people, by=maya)
        Brainstorm.objects.filter(pk=b.pk).update(created_at=when)
    # Cy and Dee never took part (by name), then Ben (April) before Ana (May).
    assert [r.user.username for r in rotation_proposal(count=4)] == ["cy", "dee", "ben", "ana"]
    assert [r.user.username for r in rotation_proposal(count=2)] == ["cy", "dee"]


@pytest.mark.django_db
def test_group_passing_sends_each_idea_through_everyone(maya, sam, alex):
    b = brainstorm_create(
        question=QUESTION, technique="group_passing", participants=[maya, sam, alex], by=maya
    )
    ideas = [
        idea_submit(brainstorm=b, text=t, by=u) for t, u in (("one", maya), ("two", sam), ("three", alex))
    ]
    seen = {
        u.username: [passing_assignment(brainstorm=b, user=u, round=r).text for r in (1, 2)]
        for u in (maya, sam, alex)
    }
    # Seat s builds on idea (s + round) mod 3: over two rounds nobody meets the same idea twice and
    # every idea reaches the two people in the other seats.
    assert seen == {"maya": ["two", "three"], "sam": ["three", "one"], "alex": ["one", "two"]}
    idea_build(idea=ideas[1], text="and text them a calendar link", by=maya, round=1)
    assert [x.text for x in ideas[1].builds.all()] == ["and text them a calendar link"]
    assert AuditEntry.objects.filter(action="brainstorm.build", actor=None).count() == 1


@pytest.mark.django_db
def test_idea_mapping_groups_ideas_into_themes(maya, sam):
    b = brainstorm_create(question=QUESTION, technique="idea_mapping", participants=[maya, sam], by=maya)
    a = idea_submit(brainstorm=b, text="Faster callback", by=sam)
    c = idea_submit(brainstorm=b, text="Text message follow-up", by=maya)
    theme_assign(idea=a, theme_name="Speed", by=sam)
    theme_assign(idea=c, theme_name="Speed", by=maya)
    assert list(b.themes.values_list("name", flat=True)) == ["Speed"]
    assert set(b.themes.get().ideas.values_list("text", flat=True)) == {
        "Faster callback",
        "Text message follow-up",
    }


@pytest.mark.django_db
def test_directed_ideas_answer_one_direction(maya, sam):
    b = brainstorm_create(question=QUESTION, technique="directed", participants=[maya, sam], by=maya,
                          directions="What should marketing change?\nWhat should sales change?")  # fmt: skip
    with pytest.raises(ValidationError) as err:
        idea_submit(brainstorm=b, text="x", by=sam, direction=5)
    assert "direction" in err.value.message_dict
    assert idea_submit(brainstorm=b, text="Shorter forms", by=sam, direction=0).direction == 0


@pytest.mark.django_db
def test_chosen_ideas_become_action_items(session, maya, sam, alex):
    idea = idea_submit(brainstorm=session, text="Call within 5 minutes of a demo request", by=alex)
    brainstorm_advance(brainstorm=session, by=maya)
    brainstorm_advance(brainstorm=session, by=maya)
    with pytest.raises(PermissionDenied):
        idea_choose(idea=idea, owner=sam, due_on=date(2026, 7, 1), by=sam)
    item = idea_choose(idea=idea, owner=sam, due_on=date(2026, 7, 1), by=maya)
    assert (item.title, item.owner, item.source_idea) == (
        "Call within 5 minutes of a demo request",
        sam,
        idea,
    )
    idea.refresh_from_db()
    assert idea.chosen and ActionItem.objects.count() == 1
    assert BrainstormParticipant.objects.filter(brainstorm=session).count() == 3
