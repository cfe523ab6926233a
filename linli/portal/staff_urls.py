from django.urls import path

from linli.portal import staff_views

app_name = "portal_admin"

urlpatterns = [
    path("", staff_views.requests, name="requests"),
    path("corrections/<int:pk>/resolve/", staff_views.correction_resolve, name="correction_resolve"),
    path("links/<int:pk>/decide/", staff_views.link_decide, name="link_decide"),
    path("links/<int:pk>/end/", staff_views.link_end, name="link_end"),
]
