"""Writes, one module per job: goals, meetings, feed, brainstorms, webhooks."""
