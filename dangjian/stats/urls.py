"""数据公开 at /data/: the public figures and their CSV / Excel files."""

from django.urls import path

from dangjian.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.public_figures, name="figures"),
    # The key holds dots (platform.units_by_kind): the format is what follows the last one.
    path("export/<str:key>.<str:fmt>", views.public_export, name="export"),
]
