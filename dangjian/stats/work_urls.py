"""The workbench's statistics at /work/stats/: every figure computed for the viewer's units, and its files."""

from django.urls import path

from dangjian.stats import views

app_name = "stats_work"
urlpatterns = [
    path("", views.staff_figures, name="figures"),
    path("export/<str:key>.<str:fmt>", views.staff_export, name="export"),
]
