from django.urls import path

app_name = "pipes"

urlpatterns: list = []
