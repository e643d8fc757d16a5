"""Ready-made workflow definitions. Seed 003's ebook nurture ships here, used as-is by the demo,
offered as the starting point of a new workflow and covered by the end-to-end test."""

from typing import Any

EBOOK_URL = "https://example.com/content/ops-efficiency-ebook.pdf"
EXTRA_URL = "https://example.com/content/ops-benchmark-toolkit.xlsx"

# Seed 003: "email all IQLs an ebook → remind those who did not open → send a different email
# to those who opened but did not download → thank the downloaders and offer extra content →
# whoever accesses the extra content becomes an SQL → notify sales."
SEED_003_EBOOK_NURTURE: dict[str, Any] = {
    "trigger": {"type": "stage", "stage": "iql", "include_existing": True},
    "reentry": "never",
    "goal": {"rule": 'lifecycle_stage in ["opportunity", "customer"]'},
    "steps": [
        {
            "id": "send_ebook",
            "type": "send_email",
            "topic": "nurture",
            "subject": "{{ first_name or 'Hello' }}, your ebook: 10 ways to run leaner operations",
            "text": (
                "Hi {{ first_name or 'there' }},\n\nHere is the ebook you asked for:\n"
                "{{ download('ops-ebook', '" + EBOOK_URL + "') }}\n\n"
                "The Acme team\n\nNo more emails like this: {{ unsubscribe_url }}"
            ),
            "html": (
                "<p>Hi {{ first_name or 'there' }},</p><p>Here is the ebook you asked for:</p>"
                "<p><a href=\"{{ download('ops-ebook', '" + EBOOK_URL + "') }}\">Download the ebook</a></p>"
                '<p>The Acme team</p><p><small><a href="{{ unsubscribe_url }}">Unsubscribe</a></small></p>'
            ),
        },
        {"id": "wait_for_open", "type": "wait", "duration": "3d", "or_until": {"opened": "send_ebook"}},
        {
            "id": "opened_ebook",
            "type": "branch",
            "condition": {"opened": "send_ebook"},
            "then": "downloaded_ebook",
            "else": "remind",
        },
        {
            "id": "remind",
            "type": "send_email",
            "topic": "nurture",
            "subject": "Did you see your ebook, {{ first_name or 'there' }}?",
            "text": (
                "Hi {{ first_name or 'there' }},\n\nJust in case it got buried: your ebook is here:\n"
                "{{ download('ops-ebook', '"
                + EBOOK_URL
                + "') }}\n\nNo more emails like this: {{ unsubscribe_url }}"
            ),
            "next": "wait_after_reminder",
        },
        {
            "id": "wait_after_reminder",
            "type": "wait",
            "duration": "4d",
            "or_until": {"downloaded": "ops-ebook"},
        },
        {
            "id": "downloaded_ebook",
            "type": "branch",
            "condition": {"downloaded": "ops-ebook"},
            "then": "thank",
            "else": "opened_any",
        },
        {
            "id": "opened_any",
            "type": "branch",
            "condition": {"opened": ["send_ebook", "remind"]},
            "then": "nudge_download",
            "else": "end",
        },
        {
            "id": "nudge_download",
            "type": "send_email",
            "topic": "nurture",
            "subject": "The three pages of the ebook our customers quote most",
            "text": (
                "Hi {{ first_name or 'there' }},\n\nYou opened our email but the ebook is still waiting. "
                "Pages 4, 9 and 12 are the ones operations leads quote back to us:\n"
                "{{ download('ops-ebook', '"
                + EBOOK_URL
                + "') }}\n\nNo more emails like this: {{ unsubscribe_url }}"
            ),
            "next": "wait_after_nudge",
        },
        {"id": "wait_after_nudge", "type": "wait", "duration": "5d", "or_until": {"downloaded": "ops-ebook"}},
        {
            "id": "downloaded_late",
            "type": "branch",
            "condition": {"downloaded": "ops-ebook"},
            "then": "thank",
            "else": "end",
        },
        {
            "id": "thank",
            "type": "send_email",
            "topic": "nurture",
            "subject": "Thanks for reading, {{ first_name or 'there' }} — one more thing",
            "text": (
                "Hi {{ first_name or 'there' }},\n\nThanks for downloading the ebook. Teams who liked it use our "
                "benchmark toolkit to compare their numbers with 400 peers:\n"
                "{{ download('ops-toolkit', '"
                + EXTRA_URL
                + "') }}\n\nNo more emails like this: {{ unsubscribe_url }}"
            ),
        },
        {
            "id": "wait_for_extra",
            "type": "wait",
            "duration": "14d",
            "or_until": {"downloaded": "ops-toolkit"},
        },
        {
            "id": "got_extra",
            "type": "branch",
            "condition": {"downloaded": "ops-toolkit"},
            "then": "make_sql",
            "else": "end",
        },
        {"id": "make_sql", "type": "update_stage", "stage": "sql"},
        {
            "id": "notify_sales",
            "type": "notify",
            "to": ["owner", "team:sales"],
            "title": "New SQL: {{ full_name or email }} opened the benchmark toolkit",
            "body": "{{ full_name or email }}{% if company %} ({{ company }}){% endif %} downloaded the ops ebook "
            "and the benchmark toolkit. Seed 003 says: call within the SLA.",
        },
        {"id": "done", "type": "end"},
    ],
}
