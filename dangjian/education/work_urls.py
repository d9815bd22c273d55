"""Staff URLs of the education supermarket (/work/education/)."""

from django.urls import path

from dangjian.education import work_views as views

app_name = "education_work"
urlpatterns = [
    path("", views.index, name="index"),
    path("stations/<int:pk>/", views.station, name="station"),
    path("stations/<int:pk>/build", views.build, name="build"),
    path("stations/<int:pk>/report/", views.report, name="report"),
    path("stations/<int:pk>/reports/", views.station_reports, name="reports"),
    path("programmes/<int:pk>/", views.programme, name="programme"),
    path("programmes/<int:pk>/print/", views.programme_print, name="programme_print"),
    path("programmes/<int:pk>/programme.txt", views.programme_text, name="programme_text"),
    path("programmes/<int:pk>/package.zip", views.programme_package, name="programme_package"),
    path("library/add/", views.library_add, name="library_add"),
    path("report-card/", views.report_card, name="report_card"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("quizzes/", views.quizzes, name="quizzes"),
    path("quizzes/<int:pk>/results/", views.quiz_results, name="quiz_results"),
    path("quizzes/<int:pk>/not-taken/", views.quiz_non_takers, name="quiz_non_takers"),
    path("quizzes/banks/", views.banks, name="banks"),
    path("quizzes/banks/<int:pk>/import/", views.bank_import, name="bank_import"),
]
