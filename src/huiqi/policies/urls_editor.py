"""URLs of the policy editor's and reviewer's pages (views_editor.py), included by policies/urls.py."""

from django.urls import path

from huiqi.policies import views_editor

urlpatterns = [
    path("items/", views_editor.item_list, name="item_list"),
    path("items/new/", views_editor.item_new, name="item_new"),
    path("items/<str:code>/", views_editor.item_detail, name="item_detail"),
    path("items/<str:code>/new-version/", views_editor.version_new, name="version_new"),
    path("items/<str:code>/versions/<int:number>/", views_editor.version_detail, name="version_detail"),
    path("items/<str:code>/versions/<int:number>/edit/", views_editor.version_edit, name="version_edit"),
    path("items/<str:code>/versions/<int:number>/step/", views_editor.version_step, name="version_step"),
    path("review/", views_editor.review_queue, name="review_queue"),
    path("editor/check/", views_editor.editor_check, name="editor_check"),
    path("editor/parse-yaml/", views_editor.editor_parse_yaml, name="editor_parse_yaml"),
    path("editor/documents/", views_editor.editor_documents, name="editor_documents"),
]
