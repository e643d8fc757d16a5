"""Pages, one module per job: goals, meetings, feed (and its live stream), brainstorms."""
