from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import formatting
from .models import Post, Thread


def thread_list(request: HttpRequest) -> HttpResponse:
    threads = Thread.objects.annotate(replies=Count("posts"))[:30]
    return render(request, "board/thread_list.html", {"threads": threads})


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    threads = Thread.objects.filter(title__icontains=query)[:50] if query else []
    return render(request, "board/search.html", {"query": query, "threads": threads})


def thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=thread_id)
    posts = list(thread.posts.select_related("author").annotate(author_posts=Count("author__posts")))
    for post in posts:
        post.badge = formatting.author_badge(post.author.username, post.author_posts)
    return render(request, "board/thread.html", {"thread": thread, "posts": posts})


@login_required
@require_POST
def reply(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread, pk=thread_id)
    body = request.POST.get("body", "").strip()
    if body:
        Post.objects.create(thread=thread, author=request.user, body=body)
    return redirect("thread-detail", thread_id=thread.pk)


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    text = request.POST.get("text", "")
    return render(request, "board/preview.html", {"preview": formatting.render_markup(text)})
