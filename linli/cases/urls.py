from django.urls import path

from linli.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("new/questions/", views.case_questions, name="questions"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox_read"),
    path("indicators/", views.indicator_view, name="indicators"),
    path("categories/", views.category_list, name="categories"),
    path("categories/<int:pk>/limits/", views.category_limits, name="category_limits"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/reveal/", views.case_reveal, name="reveal"),
    path("<int:pk>/print/", views.case_print, name="print"),
    path("<int:pk>/comment/", views.case_comment, name="comment"),
    path("<int:pk>/location/", views.case_location, name="location"),
    path("<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("<int:pk>/<str:action>/", views.case_act, name="act"),
]
