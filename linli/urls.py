from django.urls import include, path

from linli.api.v1 import api
from linli.cases import public
from linli.party import views as party_views

urlpatterns = [
    path("", include("linli.core.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("areas/", include("linli.areas.urls")),
    path("registry/", include("linli.registry.urls")),
    path("transfers/", include("linli.transfers.urls")),
    path("cases/", include("linli.cases.urls")),
    path("visits/", include("linli.visits.urls")),
    path("volunteers/", include("linli.volunteers.urls")),
    path("v/", include("linli.volunteers.public_urls")),
    path("party/", include("linli.party.urls")),
    path("party-checkin/<str:code>/", party_views.checkin, name="party_checkin"),
    path("track/", public.track, name="track"),
    path("track/new/", public.submit, name="track_submit"),
    path("track/<str:number>/", public.track_case, name="track_case"),
    path("track/<str:number>/verdict/", public.track_verdict, name="track_verdict"),
    path("open311/v2/", include("linli.cases.open311_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]

handler403 = "linli.core.views.forbidden"
handler404 = "linli.core.views.not_found"
