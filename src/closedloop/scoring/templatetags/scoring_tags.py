"""`{% contact_score_explanation contact as sx %}`: one contact's score explained, for the
`scoring/_contact_score.html` include on the contact page and in the sales queue."""

from typing import Any

from django import template

from closedloop.scoring.selectors import ScoreExplanation, score_explanation_for

register = template.Library()


@register.simple_tag
def contact_score_explanation(contact: Any) -> ScoreExplanation:
    return score_explanation_for(contact=contact)
