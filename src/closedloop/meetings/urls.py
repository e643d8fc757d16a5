from django.urls import path

from closedloop.meetings.views import brainstorms, feed, goals, meetings, stream

app_name = "meetings"

urlpatterns = [
    path("", meetings.overview, name="overview"),
    path("goals/", goals.goal_dashboard, name="goals"),
    path("goals/new/", goals.goal_new, name="goal_new"),
    path("goals/<int:goal_id>/delete/", goals.goal_remove, name="goal_delete"),
    path("scorecards/<int:team_id>/", goals.team_scorecard, name="scorecard"),
    path("series/new/", meetings.series_new, name="series_new"),
    path("series/<int:series_id>/", meetings.series_detail, name="series"),
    path("series/<int:series_id>/calendar.ics", meetings.series_calendar, name="series_ical"),
    path("occurrences/<int:occurrence_id>/", meetings.occurrence_detail, name="occurrence"),
    path(
        "occurrences/<int:occurrence_id>/generate/", meetings.occurrence_generate, name="occurrence_generate"
    ),
    path("occurrences/<int:occurrence_id>/add/<str:what>/", meetings.occurrence_add, name="occurrence_add"),
    path("occurrences/<int:occurrence_id>/minutes.<str:fmt>", meetings.minutes_export, name="minutes"),
    path("actions/<int:action_id>/done/", meetings.action_done, name="action_done"),
    path("feed/", feed.feed_page, name="feed"),
    path("feed/new/", feed.feed_new, name="feed_new"),
    path("feed/stream/", stream.feed_stream, name="feed_stream"),
    path("feed/<int:item_id>/<str:what>/", feed.feed_item_action, name="feed_item"),
    path("brainstorms/", brainstorms.brainstorm_list, name="brainstorms"),
    path("brainstorms/new/", brainstorms.brainstorm_new, name="brainstorm_new"),
    path("brainstorms/<int:brainstorm_id>/", brainstorms.brainstorm_detail, name="brainstorm"),
    path("brainstorms/<int:brainstorm_id>/<str:what>/", brainstorms.brainstorm_post, name="brainstorm_post"),
    path("ideas/<int:idea_id>/<str:what>/", brainstorms.idea_post, name="idea_post"),
]
