"""Staff pages of the SMS platform, under /work/sms/."""

from django.urls import path

from dangjian.services.sms import views

app_name = "sms"
urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("preview/", views.preview, name="preview"),
    path("count/", views.count, name="count"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/submit/", views.campaign_submit, name="campaign_submit"),
    path("<int:pk>/approve/", views.campaign_approve, name="campaign_approve"),
    path("<int:pk>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    path("optouts/", views.optout_list, name="optouts"),
]
