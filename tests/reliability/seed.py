"""The data a load test runs against: a small demo company (the same generator as `closedloop demo`,
with its handoffs, so the dashboard and the sales queue show real numbers), a head of marketing and
a sales rep who can sign in, and an API token for the ingest clients."""

import importlib
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db.models import Count, Q

from closedloop.accounts.models import User
from closedloop.accounts.roles import Role
from closedloop.accounts.services import api_token_create
from closedloop.demo.generator import demo_generate, demo_users_ensure
from closedloop.handoff import demo_data as handoff_demo_data

PASSWORD = "load-test-password-1"  # a throwaway login on a throwaway database


@dataclass(frozen=True)
class LoadSetup:
    token: str
    dashboard_user: str
    rep_user: str
    password: str = PASSWORD

    def env(self) -> dict[str, str]:
        return {
            "CLOSEDLOOP_LOAD_TOKEN": self.token,
            "CLOSEDLOOP_LOAD_DASHBOARD_USER": self.dashboard_user,
            "CLOSEDLOOP_LOAD_REP_USER": self.rep_user,
            "CLOSEDLOOP_LOAD_PASSWORD": self.password,
        }


def load_data_seed(*, contacts: int) -> LoadSetup:
    # The rejection reasons come from a data migration; a transactional test before this one
    # flushed them away, and the demo's rejected handoffs need them.
    importlib.import_module("closedloop.handoff.migrations.0002_rejection_reasons").seed(apps, None)
    demo_generate(contacts=contacts)
    handoff_demo_data.seed(lambda line: None)
    users = demo_users_ensure()
    # The server checks passwords with the production hashers, whatever this process uses.
    hasher = Argon2PasswordHasher()
    head = users["maya"]
    # The rep with the longest queue of waiting leads, so the queue page has rows to show.
    rep = (
        User.objects.filter(role=Role.SALES_REP)
        .annotate(waiting=Count("handoffs", filter=Q(handoffs__status="pending")))
        .order_by("-waiting", "username")
        .first()
    )
    assert rep is not None
    for user in (head, rep):
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])
    _, raw = api_token_create(user=users["tom"], name="load test", scopes=["ingest_events"])
    return LoadSetup(token=raw, dashboard_user=head.username, rep_user=rep.username)
