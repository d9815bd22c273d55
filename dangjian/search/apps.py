from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dangjian.search"
    label = "dangjian_search"

    def ready(self) -> None:
        from dangjian.search import indexing

        indexing.install()
