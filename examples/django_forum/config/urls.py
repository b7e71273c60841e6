from django.contrib import admin
from django.urls import path

from board import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", views.thread_list, name="thread-list"),
    path("search/", views.search, name="search"),
    path("threads/<int:thread_id>/", views.thread_detail, name="thread-detail"),
    path("threads/<int:thread_id>/reply/", views.reply, name="reply"),
    path("preview/", views.preview, name="preview"),
]
