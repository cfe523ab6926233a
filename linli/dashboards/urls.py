from django.urls import path

from linli.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("screen/", views.screen, name="screen"),
    path("map/", views.map_view, name="map"),
    path("map/data/", views.map_data, name="map_data"),
    path("map/locate/", views.locate, name="locate"),
    path("map/areas/<int:pk>/", views.boundary, name="boundary"),
    path("map/buildings/<int:pk>/", views.building_point, name="building_point"),
    path("profile/", views.profile, name="profile"),
]
