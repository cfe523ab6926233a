from django.urls import path

from linli.opinions import views

app_name = "opinions"

urlpatterns = [
    path("", views.opinion_list, name="list"),
    path("new/", views.opinion_new, name="new"),
    path("report/", views.report, name="report"),
    path("<int:pk>/", views.opinion_detail, name="detail"),
    path("<int:pk>/triage/", views.opinion_triage, name="triage"),
    path("<int:pk>/case/", views.opinion_to_case, name="to_case"),
    path("<int:pk>/merge/", views.opinion_merge, name="merge"),
    path("<int:pk>/reply/", views.opinion_reply, name="reply"),
    path("<int:pk>/close/", views.opinion_close, name="close"),
    path("<int:pk>/reopen/", views.opinion_reopen, name="reopen"),
    path("<int:pk>/correct/", views.opinion_correct, name="correct"),
    path("open-days/", views.open_day_list, name="open_days"),
    path("open-days/rule/", views.open_day_rule, name="open_day_rule"),
    path("open-days/new/", views.open_day_new, name="open_day_new"),
    path("open-days/<int:pk>/", views.open_day_detail, name="open_day"),
    path("open-days/<int:pk>/entry/", views.open_day_entry, name="open_day_entry"),
    path("open-days/<int:pk>/attendance/", views.open_day_attendance, name="open_day_attendance"),
    path("open-days/<int:pk>/cancel/", views.open_day_cancel, name="open_day_cancel"),
]
