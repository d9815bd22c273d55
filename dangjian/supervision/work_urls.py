"""Staff URLs of the supervision supermarket (/work/supervision/)."""

from django.urls import path

from dangjian.supervision import work_views as views

app_name = "supervision_work"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("letters/<int:pk>/", views.letter, name="letter"),
    path("letters/<int:pk>/dispatch", views.dispatch, name="dispatch"),
    path("letters/<int:pk>/follow-up", views.follow_up, name="follow_up"),
    path("letters/<int:pk>/result", views.result, name="result"),
    path("letters/<int:pk>/transfer", views.transfer, name="transfer"),
    path("letters/<int:pk>/redact", views.redact, name="redact"),
    path("letters/<int:pk>/unredact", views.unredact, name="unredact"),
    path("letters/<int:pk>/sign-off", views.sign_off, name="sign_off"),
    path("letters/<int:pk>/extension", views.extension, name="extension"),
    path("letters/<int:pk>/attachments/<int:attachment>", views.attachment, name="attachment"),
    path("extensions/", views.extensions, name="extensions"),
    path("extensions/<int:pk>/decide", views.decide_extension, name="decide_extension"),
    path("bulletins/", views.bulletins, name="bulletins"),
    path("bulletins/draft", views.draft_bulletin, name="draft_bulletin"),
    path("bulletins/<int:pk>/publish", views.publish_bulletin, name="publish_bulletin"),
    path("interviews/", views.interview_list, name="interviews"),
    path("interviews/new", views.interview_form, name="schedule_interview"),
    path("interviews/<int:pk>/", views.interview, name="interview"),
    path("interviews/<int:pk>/edit", views.interview_form, name="edit_interview"),
    path("interviews/<int:pk>/cancel", views.cancel, name="cancel_interview"),
    path("interviews/<int:pk>/questions/<int:question>/moderate", views.moderate, name="moderate"),
    path("interviews/<int:pk>/questions/<int:question>/answer", views.answer, name="answer"),
    path("interviews/<int:pk>/archive", views.archive, name="archive"),
]
