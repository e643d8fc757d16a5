from django.urls import path

from closedloop.content.views import calendar, library, personas, reports, sharing

urlpatterns = [
    path("", library.library, name="content_library"),
    path("assets/new/", library.asset_new, name="content_asset_new"),
    path("assets/<int:asset_id>/", library.asset_detail, name="content_asset"),
    path("assets/<int:asset_id>/edit/", library.asset_edit, name="content_asset_edit"),
    path("assets/<int:asset_id>/file/", library.asset_file, name="content_asset_file"),
    path("assets/<int:asset_id>/status/", library.asset_status, name="content_asset_status"),
    path("assets/<int:asset_id>/review/", library.asset_review, name="content_asset_review"),
    path("assets/<int:asset_id>/shortlist/", library.asset_shortlist, name="content_asset_shortlist"),
    path("assets/<int:asset_id>/brief/", library.asset_brief, name="content_asset_brief"),
    path("assets/<int:asset_id>/brief/comment/", library.brief_comment, name="content_brief_comment"),
    path("assets/<int:asset_id>/feedback/", library.asset_feedback, name="content_asset_feedback"),
    path("assets/<int:asset_id>/share/", sharing.share_new, name="content_share_new"),
    path("shares/", sharing.share_list, name="content_shares"),
    path("shares/<int:share_id>/", sharing.share_detail, name="content_share"),
    path("shares/<int:share_id>/revoke/", sharing.share_revoke, name="content_share_revoke"),
    path("personas/", personas.persona_list, name="content_personas"),
    path("personas/new/", personas.persona_new, name="content_persona_new"),
    path("personas/suggestions/", personas.persona_suggestions, name="content_persona_suggestions"),
    path("personas/<slug:slug>/", personas.persona_detail, name="content_persona"),
    path("personas/<slug:slug>/edit/", personas.persona_edit, name="content_persona_edit"),
    path("personas/<slug:slug>/contribute/", personas.persona_contribute, name="content_persona_contribute"),
    path("personas/<slug:slug>/comment/", personas.persona_comment, name="content_persona_comment"),
    path("calendar/", calendar.calendar_view, name="content_calendar"),
    path("calendar/add/", calendar.calendar_add, name="content_calendar_add"),
    path("calendar/<int:entry_id>/delete/", calendar.calendar_delete, name="content_calendar_delete"),
    path("calendar/feed/", calendar.calendar_feed_token, name="content_calendar_feed"),
    path("reports/", reports.reports, name="content_reports"),
]
