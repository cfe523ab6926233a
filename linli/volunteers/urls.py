from django.urls import path

from linli.volunteers import views

app_name = "volunteers"

urlpatterns = [
    path("", views.volunteer_list, name="list"),
    path("new/", views.volunteer_new, name="new"),
    path("join/", views.join_links, name="join_links"),
    path("<int:pk>/", views.volunteer_detail, name="detail"),
    path("<int:pk>/edit/", views.volunteer_edit, name="edit"),
    path("<int:pk>/status/", views.volunteer_status, name="status"),
    path("<int:pk>/card/", views.volunteer_card_reset, name="card_reset"),
    path("<int:pk>/proof/", views.proof_issue, name="proof_issue"),
    path("proofs/<int:pk>/", views.proof_pdf_view, name="proof_pdf"),
    path("proofs/<int:pk>/revoke/", views.proof_revoke, name="proof_revoke"),
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("memberships/<int:pk>/", views.membership_change, name="membership"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/new/", views.activity_new, name="activity_new"),
    path("activities/targets/", views.activity_targets, name="activity_targets"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/assign/", views.activity_assign, name="activity_assign"),
    path("activities/<int:pk>/cancel/", views.activity_cancel, name="activity_cancel"),
    path("activities/<int:pk>/confirm/", views.activity_confirm, name="activity_confirm"),
    path("activities/<int:pk>/code/", views.activity_code, name="activity_code"),
    path("records/<int:pk>/", views.record_detail, name="record"),
    path("records/<int:pk>/sign/", views.record_sign, name="record_sign"),
    path("stats/", views.stats, name="stats"),
]
