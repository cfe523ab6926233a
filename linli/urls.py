from django.urls import include, path

from linli.api.v1 import api

urlpatterns = [
    path("", include("linli.core.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("areas/", include("linli.areas.urls")),
    path("registry/", include("linli.registry.urls")),
    path("transfers/", include("linli.transfers.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]

handler403 = "linli.core.views.forbidden"
handler404 = "linli.core.views.not_found"
