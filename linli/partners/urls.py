from django.urls import path

from linli.partners import views

app_name = "partners"

urlpatterns = [
    path("", views.unit_list, name="list"),
    path("new/", views.unit_new, name="new"),
    path("<int:pk>/", views.unit_detail, name="detail"),
    path("<int:pk>/edit/", views.unit_edit, name="edit"),
    path("<int:pk>/end/", views.unit_end, name="end"),
    path("<int:pk>/restore/", views.unit_restore, name="restore"),
    path("<int:pk>/report/", views.unit_report, name="report"),
    path("<int:pk>/agreements/new/", views.agreement_new, name="agreement_new"),
    path("<int:pk>/resources/new/", views.resource_new, name="resource_new"),
    path("<int:pk>/check-ins/new/", views.member_checkin_new, name="member_checkin_new"),
    path("agreements/<int:pk>/end/", views.agreement_end, name="agreement_end"),
    path("agreements/<int:pk>/commitments/new/", views.commitment_new, name="commitment_new"),
    path("commitments/<int:pk>/", views.commitment_record, name="commitment_record"),
    path("resources/<int:pk>/toggle/", views.resource_toggle, name="resource_toggle"),
    path("needs/", views.need_list, name="needs"),
    path("needs/new/", views.need_new, name="need_new"),
    path("needs/<int:pk>/", views.need_act, name="need_act"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/new/", views.activity_new, name="activity_new"),
    path("activities/<int:pk>/delete/", views.activity_delete, name="activity_delete"),
]
