from django.urls import path

from linli.visits import views

app_name = "visits"

urlpatterns = [
    path("", views.todo, name="todo"),
    path("new/", views.visit_new, name="new"),
    path("log/", views.visit_list, name="list"),
    path("<int:pk>/", views.visit_detail, name="detail"),
    path("<int:pk>/print/", views.visit_print, name="print"),
    path("<int:pk>/case/", views.visit_to_case, name="to_case"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("targets/", views.target_list, name="targets"),
    path("coverage/", views.coverage, name="coverage"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("residents/<int:resident_pk>/task/", views.task_new, name="task_new"),
    path("residents/<int:pk>/care/", views.resident_care, name="resident_care"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/<int:pk>/", views.plan_set, name="plan_set"),
    path("diary/", views.diary, name="diary"),
    path("diary/<int:pk>/", views.diary_edit, name="diary_edit"),
]
