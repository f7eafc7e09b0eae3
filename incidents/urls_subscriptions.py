from django.urls import path

from incidents.views import subscriptions as views

urlpatterns = [
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("incidents/<int:number>/subscribe/", views.incident_subscribe, name="subscribe"),
]
