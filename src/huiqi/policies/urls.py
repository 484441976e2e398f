"""URLs of the policies app (namespace "policies", mounted at /policies/). Each part of the app keeps
its own list (urls_<part>.py) and is added here, so engineers working in parallel do not collide."""

from huiqi.policies import urls_editor, urls_matches, urls_search

app_name = "policies"
urlpatterns = [
    *urls_editor.urlpatterns,
    *urls_search.urlpatterns,
    *urls_matches.urlpatterns,
]
