"""Panes URL configuration: Django auth and admin, the dashboards app, the built-in pipe host."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # The built-in host answers at the same paths as Tinybird's API.
    path("v0/", include("pipes.urls")),
    path("", include("charts.urls")),
]

handler500 = "config.views.server_error"
