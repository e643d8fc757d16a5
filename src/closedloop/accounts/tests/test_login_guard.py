"""Login rate limiting and lockout, through the real sign-in page and the real backend."""

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from closedloop.accounts import login_guard
from closedloop.accounts.login_guard import GuardedAuthenticationForm, locked_for
from closedloop.audit.models import AuditEntry
from tests.factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def guard(settings):
    settings.AUTHENTICATION_BACKENDS = ["closedloop.accounts.login_guard.GuardedModelBackend"]
    settings.LOGIN_GUARD_MAX_FAILURES = 3
    settings.LOGIN_GUARD_WINDOW_SECONDS = 600
    settings.LOGIN_GUARD_LOCKOUT_SECONDS = 600
    settings.LOGIN_GUARD_CACHE = "default"
    cache.clear()
    yield
    cache.clear()


def _sign_in(username: str, password: str, address: str = "203.0.113.7") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.post(LOGIN, {"username": username, "password": password})
    return client


def _is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_correct_password_signs_in():
    UserFactory(username="ada")
    assert _is_signed_in(_sign_in("ada", PASSWORD))


@pytest.mark.django_db
def test_three_wrong_passwords_lock_out_even_the_right_one():
    UserFactory(username="ada")
    for _ in range(3):
        assert not _is_signed_in(_sign_in("ada", "wrong"))
    assert not _is_signed_in(_sign_in("ada", PASSWORD))
    assert locked_for(username="ada", address="203.0.113.7") > 590


@pytest.mark.django_db
def test_two_wrong_passwords_do_not_lock_out():
    UserFactory(username="ada")
    for _ in range(2):
        _sign_in("ada", "wrong")
    assert _is_signed_in(_sign_in("ada", PASSWORD))


@pytest.mark.django_db
def test_lockout_is_per_address_and_per_username():
    UserFactory(username="ada")
    UserFactory(username="grace")
    for _ in range(3):
        _sign_in("ada", "wrong", address="203.0.113.7")
    assert _is_signed_in(_sign_in("ada", PASSWORD, address="198.51.100.2"))
    assert _is_signed_in(_sign_in("grace", PASSWORD, address="203.0.113.7"))


@pytest.mark.django_db
def test_username_case_does_not_give_fresh_attempts():
    UserFactory(username="ada")
    for name in ("ada", "ADA", "Ada"):
        _sign_in(name, "wrong")
    assert locked_for(username="ada", address="203.0.113.7") > 0


@pytest.mark.django_db
def test_a_success_forgives_earlier_failures():
    UserFactory(username="ada")
    for _ in range(2):
        _sign_in("ada", "wrong")
    assert _is_signed_in(_sign_in("ada", PASSWORD))
    for _ in range(2):
        _sign_in("ada", "wrong")
    assert _is_signed_in(_sign_in("ada", PASSWORD))


@pytest.mark.django_db
def test_lockout_ends_after_its_time(monkeypatch):
    UserFactory(username="ada")
    for _ in range(3):
        _sign_in("ada", "wrong")
    now = login_guard.time.time()

    class Later:
        @staticmethod
        def time() -> float:
            return now + 601

    monkeypatch.setattr(login_guard, "time", Later)
    assert locked_for(username="ada", address="203.0.113.7") == 0
    assert _is_signed_in(_sign_in("ada", PASSWORD))


@pytest.mark.django_db
def test_one_address_guessing_many_usernames_is_stopped():
    # Password spraying: 3 failures x 10 per address, spread over usernames that never lock alone.
    UserFactory(username="victim")
    for i in range(30):
        _sign_in(f"user{i // 2}", "wrong")
    assert not _is_signed_in(_sign_in("victim", PASSWORD))
    assert _is_signed_in(_sign_in("victim", PASSWORD, address="198.51.100.2"))


@pytest.mark.django_db
def test_lockout_is_audited_once():
    user = UserFactory(username="ada")
    for _ in range(5):
        _sign_in("ada", "wrong")
    entries = AuditEntry.objects.filter(action="login.locked", object_id=str(user.pk))
    assert entries.count() == 1
    assert entries.get().changes == {"address": "203.0.113.7", "seconds": 600}


@pytest.mark.django_db
def test_locked_form_says_so_with_minutes():
    UserFactory(username="ada")
    for _ in range(3):
        _sign_in("ada", "wrong")
    request = RequestFactory().post(LOGIN, REMOTE_ADDR="203.0.113.7")
    form = GuardedAuthenticationForm(request, data={"username": "ada", "password": PASSWORD})
    assert not form.is_valid()
    assert form.non_field_errors() == ["Too many failed sign-ins. Try again in 10 minute(s)."]


@pytest.mark.django_db
def test_unlocked_form_keeps_the_usual_message():
    UserFactory(username="ada")
    request = RequestFactory().post(LOGIN, REMOTE_ADDR="203.0.113.7")
    form = GuardedAuthenticationForm(request, data={"username": "ada", "password": "wrong"})
    assert not form.is_valid()
    assert "correct username and password" in form.non_field_errors()[0]


@pytest.mark.django_db
def test_calls_without_a_request_are_not_counted():
    # Management commands and test clients authenticate without a client address.
    UserFactory(username="ada")
    client = Client()
    for _ in range(5):
        assert not client.login(username="ada", password="wrong")
    assert client.login(username="ada", password=PASSWORD)
