from django.urls import path

from dangjian.services.securemail import views

app_name = "securemail"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("sent/", views.sent, name="sent"),
    path("archive/", views.archive, name="archive"),
    path("compose/", views.compose, name="compose"),
    path("<uuid:pk>/", views.read, name="read"),
    path("<uuid:pk>/attachments/<int:position>/", views.attachment, name="attachment"),
    path("<uuid:pk>/forward/", views.forward, name="forward"),
    path("<uuid:pk>/delete/", views.delete, name="delete"),
    path("<uuid:pk>/file/", views.refile, name="refile"),
    path("unlock/", views.unlock, name="unlock"),
    path("lock/", views.lock, name="lock"),
    path("setup/", views.setup, name="setup"),
    path("keys/", views.keys, name="keys"),
    path("keys/<int:unit_pk>/create/", views.create_key, name="create_key"),
    path("keys/<int:unit_pk>/rotate/", views.rotate_key, name="rotate_key"),
    path("keys/<int:unit_pk>/grant/", views.grant, name="grant"),
    path("keys/<int:unit_pk>/revoke/<int:user_pk>/", views.revoke_officer, name="revoke_officer"),
]
