from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

# The API first, and the appeals' API first in it: Django tries the patterns in order on every request,
# and the 12345 platform's intake push is the busiest caller (benchmarks/README.md). No two includes
# share a path, so the order changes nothing else.
api_v1 = [
    path("", include("huiqi.appeals.api_urls")),
    path("", include("huiqi.accounts.api_urls")),
    path("", include("huiqi.enterprises.api_urls")),
    path("", include("huiqi.core.api_urls")),
    path("", include("huiqi.policies.api_urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("", include("huiqi.core.urls")),
    path("accounts/", include("huiqi.accounts.urls")),
    path("enterprises/", include("huiqi.enterprises.urls")),
    path("policies/", include("huiqi.policies.urls")),
    path("appeals/", include("huiqi.appeals.urls")),
    path("open311/v2/", include("huiqi.appeals.open311")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "惠企服务平台 管理后台"
admin.site.site_title = "惠企服务平台"

# Chinese error pages, and the one API error format under /api/ (core.views).
handler400 = "huiqi.core.views.bad_request"
handler403 = "huiqi.core.views.permission_denied"
handler404 = "huiqi.core.views.page_not_found"
handler500 = "huiqi.core.views.server_error"
