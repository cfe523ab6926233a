from django.urls import path

from linli.registry import views

app_name = "registry"

urlpatterns = [
    path("residents/", views.resident_list, name="residents"),
    path("residents/export/", views.resident_export, name="export"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="reveal"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("houses/<int:pk>/", views.house_detail, name="house"),
]
