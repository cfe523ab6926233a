from django.urls import path

from linli.notices import views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("new/", views.notice_new, name="new"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/edit/", views.notice_edit, name="edit"),
    path("<int:pk>/lines/", views.notice_lines, name="lines"),
    path("<int:pk>/attach/", views.notice_attach, name="attach"),
    path("<int:pk>/publish/", views.notice_publish, name="publish"),
    path("<int:pk>/correct/", views.notice_correct, name="correct"),
    path("<int:pk>/withdraw/", views.notice_withdraw, name="withdraw"),
    path("<int:pk>/discard/", views.notice_discard, name="discard"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("attachments/<int:pk>/remove/", views.attachment_remove, name="attachment_remove"),
    path("questions/<int:pk>/answer/", views.question_answer, name="answer"),
]
