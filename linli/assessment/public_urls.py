from django.urls import path

from linli.assessment import public

urlpatterns = [
    path("<str:token>/", public.rate, name="assessment_rate"),
    path("<str:token>/photo/", public.photo, name="assessment_rate_photo"),
]
