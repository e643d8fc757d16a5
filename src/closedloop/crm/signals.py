"""Signals other apps listen to without crm knowing them (dependencies point one way)."""

from django.dispatch import Signal

# Sent after contacts moved into `stage` (inside the transaction that moved them), with
# `contact_ids`: a list of ints. Handoff routes contacts that became sales-ready.
contacts_entered_stage = Signal()
