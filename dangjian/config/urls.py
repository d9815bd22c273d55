"""URLs: the portal and supermarkets first, the API, the admins, then Wagtail's page tree as the catch-all."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from dangjian.api.main import api
from dangjian.publicity import views as publicity_views

handler500 = "dangjian.core.errors.server_error"

urlpatterns = [
    path("work/stats/", include("dangjian.stats.work_urls")),
    path("work/education/", include("dangjian.education.work_urls")),
    path("work/supervision/", include("dangjian.supervision.work_urls")),
    path("", include("dangjian.portal.urls")),
    path("accounts/", include("dangjian.core.urls")),
    path("supervision/", include("dangjian.supervision.urls")),
    path("education/", include("dangjian.education.urls")),
    path("publicity/", include("dangjian.publicity.urls")),
    path("work/registry/", include("dangjian.services.registry.urls")),
    path("work/dues/", include("dangjian.services.dues.urls")),
    path("work/sms/", include("dangjian.services.sms.urls")),
    path("sms/callback/", include("dangjian.services.sms.callback_urls")),
    path("work/mail/", include("dangjian.services.securemail.urls")),
    path("data/", include("dangjian.stats.urls")),
    path("search/", include("dangjian.search.urls")),
    path("sitemap.xml", publicity_views.sitemap, name="sitemap"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
