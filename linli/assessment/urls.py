from django.urls import path

from linli.assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("new/", views.round_new, name="round_new"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("<int:pk>/open/", views.round_open, name="round_open"),
    path("<int:pk>/close/", views.round_close, name="round_close"),
    path("<int:pk>/cancel/", views.round_cancel, name="round_cancel"),
    path("<int:pk>/send/", views.invitations_send, name="send"),
    path("<int:pk>/sample/", views.sample, name="sample"),
    path("<int:pk>/slips/", views.invitation_slips, name="slips"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/ratings/", views.ratings, name="ratings"),
    path("<int:pk>/raters/", views.raters, name="raters"),
    path("<int:pk>/departments/", views.round_departments, name="round_departments"),
    path("<int:pk>/workers/<int:member_pk>/scores/", views.member_scores, name="member_scores"),
    path("entries/<int:pk>/phone/", views.entry_phone, name="entry_phone"),
    path("entries/<int:pk>/no-response/", views.entry_no_response, name="entry_no_response"),
    path("ratings/<int:pk>/check/", views.rating_check, name="rating_check"),
    path("duties/", views.duties, name="duties"),
    path("duties/<int:pk>/", views.duty_edit, name="duty_edit"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:pk>/close/", views.task_close, name="task_close"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("settings/", views.weighting, name="weighting"),
    path("staff/", views.profiles, name="profiles"),
    path("staff/<int:user_pk>/", views.profile_edit, name="profile_edit"),
    path("agreements/", views.agreements, name="agreements"),
    path("agreements/<int:pk>/end/", views.agreement_end, name="agreement_end"),
    path("cases/<int:case_pk>/review/", views.case_review, name="case_review"),
    path("mine/", views.mine, name="mine"),
    path("departments/", views.departments, name="departments"),
]
