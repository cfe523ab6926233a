from django.urls import path

from linli.transfers import views

app_name = "transfers"

urlpatterns = [
    path("imports/", views.import_list, name="imports"),
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/report.xlsx", views.import_report, name="import_report"),
    path("imports/<int:pk>/resume/", views.import_resume, name="import_resume"),
]
