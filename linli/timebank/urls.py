from django.urls import path

from linli.timebank import views

app_name = "timebank"

urlpatterns = [
    path("", views.accounts, name="accounts"),
    path("open/", views.account_open, name="account_open"),
    path("accounts/<int:pk>/", views.account_detail, name="account"),
    path("accounts/<int:pk>/transfer/", views.transfer_new, name="transfer_new"),
    path("accounts/<int:pk>/limits/", views.account_limits, name="account_limits"),
    path("accounts/<int:pk>/close/", views.account_close, name="account_close"),
    path("transfers/<int:pk>/reverse/", views.transfer_reverse, name="transfer_reverse"),
    path("pools/", views.pools, name="pools"),
    path("requests/", views.requests, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/edit/", views.request_edit, name="request_edit"),
    path("requests/<int:pk>/match/", views.request_match, name="match"),
    path("requests/<int:pk>/serve/", views.request_action, {"action": "serve"}, name="serve"),
    path("requests/<int:pk>/confirm/", views.request_action, {"action": "confirm"}, name="confirm"),
    path("requests/<int:pk>/unmatch/", views.request_action, {"action": "unmatch"}, name="unmatch"),
    path("requests/<int:pk>/cancel/", views.request_action, {"action": "cancel"}, name="cancel"),
]
