from django.urls import path

from dangjian.publicity import feeds, views

app_name = "publicity"
urlpatterns = [
    path("", views.home, name="home"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/object/", views.object_to_notice, name="object"),
    path("feeds/<int:pk>/rss/", feeds.ColumnFeed(), name="feed_rss"),
    path("feeds/<int:pk>/atom/", feeds.ColumnAtomFeed(), name="feed_atom"),
]
