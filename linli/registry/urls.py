from django.urls import path

from linli.registry import views
from linli.registry.models import ResidentStatus

app_name = "registry"

urlpatterns = [
    path("residents/", views.resident_list, name="residents"),
    path("residents/new/", views.resident_new, name="resident_new"),
    path("residents/export/", views.resident_export, name="export"),
    path("residents/ledger.pdf", views.resident_ledger_pdf, name="ledger_pdf"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="reveal"),
    path("residents/<int:pk>/card.pdf", views.resident_card, name="card"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/move/", views.resident_move_view, name="resident_move"),
    path(
        "residents/<int:pk>/move-out/",
        views.resident_leave,
        {"kind": ResidentStatus.MOVED_OUT},
        name="resident_move_out",
    ),
    path(
        "residents/<int:pk>/death/",
        views.resident_leave,
        {"kind": ResidentStatus.DECEASED},
        name="resident_death",
    ),
    path("residents/<int:pk>/merge/", views.resident_merge_view, name="resident_merge"),
    path("residents/<int:pk>/tags/", views.resident_tags, name="resident_tags"),
    path("place/", views.place_fields, name="place"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("houses/<int:pk>/", views.house_detail, name="house"),
]
