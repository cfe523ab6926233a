from django.urls import path

from linli.portal import views, volunteer_views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    path("text-size/", views.text_size, name="text_size"),
    path("signin/", views.signin, name="signin"),
    path("signin/code/", views.signin_code, name="signin_code"),
    path("signout/", views.signout, name="signout"),
    path("household/", views.household, name="household"),
    path("grid-worker/", views.grid_worker, name="grid_worker"),
    path("cases/", views.case_list, name="cases"),
    path("cases/new/", views.case_new, name="case_new"),
    path("map/areas/", views.map_areas, name="map_areas"),
    path("map/locate/", views.map_locate, name="map_locate"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/verdict/", views.case_verdict, name="case_verdict"),
    path("cases/<str:number>/rate/", views.case_rate, name="case_rate"),
    path("cases/<str:number>/photos/", views.case_photo_add, name="case_photo_add"),
    path("cases/<str:number>/photos/<int:pk>/", views.case_photo, name="case_photo"),
    path("relatives/", views.relatives, name="relatives"),
    path("relatives/<int:pk>/end/", views.relative_end, name="relative_end"),
    path("act-for/", views.act_for, name="act_for"),
]

urlpatterns += [
    path("volunteer/", volunteer_views.volunteer, name="volunteer"),
    path("volunteer/join/", volunteer_views.volunteer_join, name="volunteer_join"),
    path("volunteer/activities/<int:pk>/signup/", volunteer_views.activity_signup, name="activity_signup"),
    path("volunteer/bookings/<int:pk>/cancel/", volunteer_views.booking_cancel, name="booking_cancel"),
    path("volunteer/checkin/<str:token>/", volunteer_views.checkin, name="volunteer_checkin"),
    path("volunteer/proofs/<int:pk>/", volunteer_views.proof_download, name="proof"),
    path("time-bank/", volunteer_views.time_bank, name="time_bank"),
    path("time-bank/help/", volunteer_views.help_new, name="help_new"),
    path("time-bank/help/<int:pk>/", volunteer_views.help_detail, name="help"),
    path("time-bank/help/<int:pk>/withdraw/", volunteer_views.help_withdraw, name="help_withdraw"),
]
