"""Public URLs of the education supermarket (/education/)."""

from django.urls import path

from dangjian.education import views

app_name = "education"
urlpatterns = [
    path("", views.library, name="library"),
    path("search/", views.search, name="search"),
    path("request/", views.request_play, name="request"),
    path("me/", views.my_record, name="record"),
    path("me/certificate/", views.certificate, name="certificate"),
    path("quizzes/", views.quizzes, name="quizzes"),
    path("quizzes/<int:pk>/", views.quiz_detail, name="quiz"),
    path("quizzes/attempts/<int:pk>/", views.attempt, name="attempt"),
    path("me/quizzes/", views.my_results, name="quiz_results"),
    path("r/<int:pk>/heartbeat", views.heartbeat, name="heartbeat"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("t/<slug:slug>/", views.topic, name="topic"),
    path("r/<int:pk>/", views.detail, name="detail"),
    path("r/<int:pk>/file", views.file, name="file"),
    path("r/<int:pk>/download", views.file, {"download": True}, name="download"),
    path("r/<int:pk>/page/<int:number>", views.edition_page, name="edition_page"),
]
