"""Brainstorms (seed 003): one powerful question, at most ten participants, four techniques.

Ideas carry no link to who wrote them — not a user, not a timestamp, not a participant row — so
nobody, an admin included, can find the author of an idea in the product or in the database."""

from django.conf import settings
from django.db import models

MAX_PARTICIPANTS = 10


class Technique(models.TextChoices):
    NOMINAL_GROUP = "nominal_group", "Nominal group (anonymous ideas, then a vote)"
    IDEA_MAPPING = "idea_mapping", "Idea mapping (group ideas into themes)"
    GROUP_PASSING = "group_passing", "Group passing (each idea passes through everyone)"
    DIRECTED = "directed", "Directed brainstorming (answer one direction at a time)"


class BrainstormStatus(models.TextChoices):
    COLLECTING = "collecting", "Collecting ideas"
    VOTING = "voting", "Voting"
    CLOSED = "closed", "Closed"


class Brainstorm(models.Model):
    question = models.CharField(max_length=300, help_text="The one powerful question.")
    technique = models.CharField(max_length=20, choices=Technique.choices)
    status = models.CharField(
        max_length=12, choices=BrainstormStatus.choices, default=BrainstormStatus.COLLECTING
    )
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Directed brainstorming: one direction per line, answered one after the other.
    directions = models.TextField(blank=True)
    votes_per_person = models.PositiveSmallIntegerField(default=3)
    series = models.ForeignKey(
        "meetings.MeetingSeries", null=True, blank=True, on_delete=models.SET_NULL, related_name="brainstorms"
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.question

    @property
    def direction_list(self) -> list[str]:
        return [line.strip() for line in self.directions.splitlines() if line.strip()]


class BrainstormParticipant(models.Model):
    brainstorm = models.ForeignKey(Brainstorm, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(help_text="Seat order, used by group passing.")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["brainstorm", "user"], name="one_seat_per_person"),
            models.UniqueConstraint(fields=["brainstorm", "position"], name="one_person_per_seat"),
        ]


class Theme(models.Model):
    brainstorm = models.ForeignKey(Brainstorm, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["brainstorm", "name"], name="unique_theme_name")]

    def __str__(self) -> str:
        return self.name


class Idea(models.Model):
    # Deliberately no author, no timestamp: see the module docstring.
    brainstorm = models.ForeignKey(Brainstorm, on_delete=models.CASCADE, related_name="ideas")
    text = models.TextField()
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas")
    direction = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Directed: which direction."
    )
    chosen = models.BooleanField(default=False)
    # A random key to list ideas by, so the list order does not reveal the order people wrote in.
    shuffle_key = models.CharField(max_length=32, db_index=True)

    class Meta:
        ordering = ["shuffle_key", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class IdeaBuild(models.Model):
    """Group passing: what the next person added to an idea as it passed by. Anonymous as ideas are."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="builds")
    text = models.TextField()
    round = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["round", "id"]


class IdeaVote(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "voter"], name="one_vote_per_idea_and_voter")]
