from django.urls import path

from incidents.notify import views

urlpatterns = [
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("incidents/<int:number>/subscribe/", views.incident_subscribe, name="subscribe"),
]
