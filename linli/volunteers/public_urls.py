from django.urls import path

from linli.volunteers import public

app_name = "volunteers_public"

urlpatterns = [
    path("join/<str:token>/", public.join, name="join"),
    path("card/<str:token>/", public.card, name="card"),
    path("checkin/<str:token>/", public.checkin, name="checkin"),
    path("proof/<str:token>/", public.verify, name="verify"),
]
