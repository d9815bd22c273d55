"""Staff pages of the registry, under /work/registry/."""

from django.urls import path

from dangjian.services.registry import import_views, record_views, views

app_name = "registry"
urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("save/", views.save_search, name="save_search"),
    path("groups/<int:pk>/delete/", views.delete_search, name="delete_search"),
    path("new/", views.person_create, name="person_create"),
    path("import/", import_views.import_start, name="import_start"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<int:pk>/", import_views.import_job, name="import_job"),
    path("import/<int:pk>/apply/", import_views.import_apply, name="import_apply"),
    path("export/", import_views.export, name="export"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("<int:pk>/transfer/", views.transfer_create, name="transfer_create"),
    path("<int:pk>/<slug:tab>/new/", record_views.part_add, name="part_add"),
    path("<int:pk>/<slug:tab>/<int:entry_pk>/", record_views.part_edit, name="part_edit"),
    path("<int:pk>/<slug:tab>/<int:entry_pk>/end/", record_views.part_end, name="part_end"),
    path("cadres/alerts/", views.cadre_alert_list, name="cadre_alerts"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/print/", views.transfer_print, name="transfer_print"),
]
