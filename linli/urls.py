from django.urls import include, path

from linli.api.v1 import api
from linli.cases import public
from linli.notices import public as notices_public
from linli.party import views as party_views

urlpatterns = [
    path("", include("linli.core.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("areas/", include("linli.areas.urls")),
    path("registry/", include("linli.registry.urls")),
    path("transfers/", include("linli.transfers.urls")),
    path("cases/", include("linli.cases.urls")),
    path("visits/", include("linli.visits.urls")),
    path("portal/", include("linli.portal.urls")),
    path("portal-admin/", include("linli.portal.staff_urls")),
    path("assessment/", include("linli.assessment.urls")),
    path("rate/", include("linli.assessment.public_urls")),
    path("surveys/", include("linli.surveys.urls")),
    path("partners/", include("linli.partners.urls")),
    path("opinions/", include("linli.opinions.urls")),
    path("notices/", include("linli.notices.urls")),
    path("board/", notices_public.board_index, name="board_index"),
    path("board/<int:pk>/", notices_public.board, name="board"),
    path("board/<int:pk>/print.pdf", notices_public.board_print, name="board_print"),
    path("board/notices/<int:pk>/", notices_public.board_notice, name="board_notice"),
    path("board/attachments/<int:pk>/", notices_public.board_attachment, name="board_attachment"),
    path("dashboard/", include("linli.dashboards.urls")),
    path("volunteers/", include("linli.volunteers.urls")),
    path("v/", include("linli.volunteers.public_urls")),
    path("time-bank/", include("linli.timebank.urls")),
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
