from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dangjian.search"
    label = "dangjian_search"
