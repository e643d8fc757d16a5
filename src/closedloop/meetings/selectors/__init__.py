"""Reads, one module per job: goals, meetings, feed, brainstorms."""
