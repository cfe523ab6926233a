from django.urls import path

from linli.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_new, name="new"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/edit/", views.survey_edit, name="edit"),
    path("<int:pk>/questions/new/", views.question_new, name="question_new"),
    path("<int:pk>/questions/<int:qpk>/", views.question_edit, name="question_edit"),
    path("<int:pk>/questions/<int:qpk>/delete/", views.question_delete, name="question_delete"),
    path("<int:pk>/questions/<int:qpk>/move/", views.question_move, name="question_move"),
    path("<int:pk>/draw/", views.survey_draw, name="draw"),
    path("<int:pk>/open/", views.survey_open, name="open"),
    path("<int:pk>/close/", views.survey_close, name="close"),
    path("<int:pk>/reopen/", views.survey_reopen, name="reopen"),
    path("<int:pk>/copy/", views.survey_copy, name="copy"),
    path("<int:pk>/invitations/", views.invitation_list, name="invitations"),
    path("<int:pk>/invitations/<int:ipk>/decline/", views.invitation_decline, name="invitation_decline"),
    path("<int:pk>/door/", views.door, name="door"),
    path("<int:pk>/door/upload/", views.door_upload, name="door_upload"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results/texts/<int:qpk>/", views.results_texts, name="texts"),
    path("<int:pk>/results.xlsx", views.results_export, name="export"),
    # Residents, without an account.
    path("answer/<str:token>/", views.answer, name="answer"),
    path("open/<str:key>/", views.answer_open, name="answer_open"),
]
