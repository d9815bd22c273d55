"""Public URLs of the supervision supermarket (/supervision/)."""

from django.urls import path

from dangjian.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.index, name="index"),
    path("letters/", views.letters, name="letters"),
    path("letters/<int:pk>/", views.letter, name="letter"),
    path("lookup/", views.lookup, name="lookup"),
    path("rate/", views.rate, name="rate"),
    path("reopen/", views.reopen, name="reopen"),
    path("interviews/", views.interview_list, name="interviews"),
    path("interviews/<int:pk>/", views.interview, name="interview"),
    path("interviews/<int:pk>/transcript", views.interview_transcript, name="interview_transcript"),
    path("criticism/", views.criticism, name="criticism"),
    path("<slug:code>/", views.channel, name="channel"),
    path("<slug:code>/write/", views.write, name="write"),
]
