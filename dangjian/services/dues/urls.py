"""Staff pages of the dues ledger, under /work/dues/."""

from django.urls import path

from dangjian.services.dues import views

app_name = "dues"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("year/", views.year, name="year"),
    path("arrears/", views.arrears, name="arrears"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("run/", views.run, name="run"),
    path("members/<int:pk>/", views.account, name="account"),
]
