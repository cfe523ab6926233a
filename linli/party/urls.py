from django.urls import path

from linli.party import views

app_name = "party"

urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/<int:pk>/", views.organisation, name="organisation"),
    path("members/", views.members, name="members"),
    path("members/new/", views.member_new, name="member_new"),
    path("members/<int:pk>/", views.member, name="member"),
    path("members/<int:pk>/appraisal/", views.appraisal, name="appraisal"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("pipeline/<int:pk>/", views.applicant, name="applicant"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("meetings/<int:pk>/sheet.pdf", views.meeting_sheet, name="meeting_sheet"),
    path("meetings/photos/<int:pk>/", views.meeting_photo, name="meeting_photo"),
    path("cards/", views.cards, name="cards"),
    path("cards/<int:pk>/", views.card, name="card"),
    path("compliance/", views.compliance, name="compliance"),
    path("points/", views.points, name="points"),
    path("points/<int:pk>/decide/", views.point_decide, name="point_decide"),
]
