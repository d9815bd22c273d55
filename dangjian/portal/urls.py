from django.urls import path

from dangjian.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("m/<slug:slug>/", views.supermarket, name="supermarket"),
    path("care/", views.toggle_care, name="toggle_care"),
    path("language/", views.set_language, name="set_language"),
    path("work/", views.workbench, name="workbench"),
    path("work/inbox/", views.inbox, name="inbox"),
]
