from django.urls import path

from dangjian.core import views

app_name = "core"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("otp/", views.verify_otp, name="otp"),
    path("otp/setup/", views.setup_otp, name="otp_setup"),
    path("logout/", views.logout, name="logout"),
]
