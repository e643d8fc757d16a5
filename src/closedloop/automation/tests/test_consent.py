"""Consent, suppression and rate-limit services: validation names the field, every change is audited."""

import pytest
from django.core.exceptions import ValidationError

from closedloop.audit.models import AuditEntry
from closedloop.automation.consent import (
    email_block_reason,
    subscription_set,
    suppression_add,
    suppression_remove,
)
from closedloop.automation.models import ConsentRecord, DomainRateLimit, Subscription, Topic
from closedloop.automation.services import domain_rate_limit_set
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_opt_in_topic_needs_an_explicit_yes():
    contact = ContactFactory()
    Topic.objects.create(key="newsletter", name="Newsletter", requires_opt_in=True)
    assert "needs opt-in" in email_block_reason(
        contact_id=contact.pk, email=contact.email, topic="newsletter"
    )
    assert email_block_reason(contact_id=contact.pk, email=contact.email, topic="nurture") == ""
    subscription_set(
        contact=contact, topic="newsletter", status="subscribed", source=ConsentRecord.Source.FORM
    )
    assert email_block_reason(contact_id=contact.pk, email=contact.email, topic="newsletter") == ""


def test_bad_consent_input_names_the_field_and_stores_nothing():
    contact = ContactFactory()
    with pytest.raises(ValidationError) as exc:
        subscription_set(contact=contact, topic="News Letter!", status="subscribed", source="form")
    assert "topic" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        subscription_set(contact=contact, topic="news", status="maybe", source="form")
    assert "status" in exc.value.message_dict
    assert not Subscription.objects.exists() and not ConsentRecord.objects.exists()


def test_suppression_is_case_insensitive_audited_and_removable():
    admin = UserFactory(role="admin")
    contact = ContactFactory(email="ops@example.com")
    suppression_add(email=" OPS@Example.com ", reason="manual", by=admin)
    assert (
        email_block_reason(contact_id=contact.pk, email=contact.email, topic="x")
        == "address is on the suppression list"
    )
    assert AuditEntry.objects.filter(action="automation.suppress", actor=admin).exists()
    with pytest.raises(ValidationError):
        suppression_add(email="nobody", reason="manual", by=admin)
    assert suppression_remove(email="ops@example.com", by=admin) is True
    assert email_block_reason(contact_id=contact.pk, email=contact.email, topic="x") == ""


def test_domain_rate_limit_service():
    admin = UserFactory(role="admin")
    domain_rate_limit_set(domain="Gmail.com", per_minute=100, by=admin)
    assert DomainRateLimit.objects.get().domain == "gmail.com"
    with pytest.raises(ValidationError) as exc:
        domain_rate_limit_set(domain="gmail.com", per_minute=0, by=admin)
    assert "per_minute" in exc.value.message_dict
    domain_rate_limit_set(domain="gmail.com", per_minute=None, by=admin)
    assert not DomainRateLimit.objects.exists()
    assert AuditEntry.objects.filter(action="automation.rate_limit").count() == 2


def test_an_erased_address_gets_email_again_only_after_a_new_opt_in():
    from closedloop.privacy.services import contact_erase

    old = ContactFactory(email="Gone@Example.com")
    contact_erase(old, by=UserFactory(), reason="request")
    back = ContactFactory(email="gone@example.com")  # the same person, from an old list
    assert "erased contact" in email_block_reason(contact_id=back.pk, email=back.email, topic="nurture")
    subscription_set(contact=back, topic="nurture", status="subscribed", source=ConsentRecord.Source.FORM)
    assert email_block_reason(contact_id=back.pk, email=back.email, topic="nurture") == ""
    other = ContactFactory(email="stays@example.com")
    assert email_block_reason(contact_id=other.pk, email=other.email, topic="nurture") == ""
