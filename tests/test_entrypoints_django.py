"""Django and Django REST Framework entry points: URLconfs, class-based views, routers."""

from __future__ import annotations

from vulnhuntr.repo.entrypoints import EntryPoint

from test_entrypoints import ep  # the expected-entry helper; the ``scan`` fixture is in conftest

SITE = {
    "site/__init__.py": "",
    "site/urls.py": """
        from django.urls import include, path

        urlpatterns = [
            path("shop/", include("shop.urls")),
            path("legacy/", include([path("old/", include("legacy.urls"))])),
        ]
        """,
    "shop/__init__.py": "",
    "shop/urls.py": """
        from django.urls import include, path, re_path
        from django.views.generic import TemplateView
        from rest_framework.routers import DefaultRouter

        from . import views, api
        from .views import ProductView as PV

        router = DefaultRouter()
        router.register(r"orders", api.OrderViewSet, basename="order")

        urlpatterns = [
            path("", views.index, name="index"),
            re_path(r"^search/(?P<q>\\w+)/$", views.search),
            path("products/<int:pk>/", PV.as_view(), name="product"),
            path("about/", TemplateView.as_view(template_name="about.html")),
            path("upload/", views.upload),
            path("api/import/", api.ImportView.as_view()),
            path("api/stats/", api.stats),
            path("api/", include(router.urls)),
        ]
        """,
    "shop/views.py": """
        from django.http import HttpResponse
        from django.views import View
        from django.views.decorators.http import require_http_methods, require_POST
        from django.views.generic import FormView, ListView


        def index(request):
            return HttpResponse("home")


        @require_http_methods(["GET", "POST"])
        def search(request, q):
            return HttpResponse(q)


        @require_POST
        def upload(request):
            return HttpResponse("ok")


        def not_routed(request):
            return HttpResponse("?")


        class ProductView(View):
            def get(self, request, pk):
                return HttpResponse(pk)

            def post(self, request, pk):
                return HttpResponse(pk)

            def helper(self):
                return 1


        class ContactView(FormView):
            def form_valid(self, form):
                return HttpResponse("thanks")


        class Articles(ListView):
            def get_queryset(self):
                return []

            def get_context_data(self, **kwargs):
                return {}


        class Custom(View):
            def dispatch(self, request, *args, **kwargs):
                return HttpResponse("any")
        """,
    "shop/api.py": """
        from rest_framework import viewsets
        from rest_framework.decorators import action, api_view
        from rest_framework.response import Response
        from rest_framework.views import APIView


        class OrderViewSet(viewsets.ModelViewSet):
            def list(self, request):
                return Response([])

            def destroy(self, request, pk=None):
                return Response()

            @action(detail=True, methods=["post"], url_path="cancel")
            def cancel_order(self, request, pk=None):
                return Response()

            @action(detail=False)
            def recent(self, request):
                return Response([])

            def get_serializer_class(self):
                return None


        class ImportView(APIView):
            def post(self, request):
                return Response()


        @api_view(["GET", "POST"])
        def stats(request):
            return Response({})


        @api_view()
        def unrouted_api(request):
            return Response({})
        """,
    "legacy/__init__.py": "",
    "legacy/urls.py": """
        from django.conf.urls import url
        from legacy.handlers import old_view

        urlpatterns = [url(r"^page/$", old_view)]
        """,
    "legacy/handlers.py": """
        def old_view(request):
            return None
        """,
}


def test_urlconf_views_resolve_to_their_own_files_with_include_prefixes(scan) -> None:
    found = scan(SITE)
    views = [e for e in found if e.file in ("shop/views.py", "legacy/handlers.py")]
    assert views == sorted(
        [
            ep(SITE, "shop/views.py", "index", "django", "/shop/"),
            ep(SITE, "shop/views.py", "search", "django", "/shop/search/(?P<q>\\w+)/", ("GET", "POST")),
            ep(SITE, "shop/views.py", "upload", "django", "/shop/upload/", ("POST",)),
            ep(SITE, "shop/views.py", "ProductView.get", "django", "/shop/products/<int:pk>/", ("GET",)),
            ep(SITE, "shop/views.py", "ProductView.post", "django", "/shop/products/<int:pk>/", ("POST",)),
            ep(SITE, "shop/views.py", "ContactView.form_valid", "django"),
            ep(SITE, "shop/views.py", "Articles.get_queryset", "django"),
            ep(SITE, "shop/views.py", "Articles.get_context_data", "django"),
            ep(SITE, "shop/views.py", "Custom.dispatch", "django"),
            ep(SITE, "legacy/handlers.py", "old_view", "django", "/legacy/old/page/"),
        ]
    )
    assert ("shop/views.py", "not_routed") not in {(e.file, e.function) for e in found}
    assert not [e for e in found if e.file.endswith("urls.py")]  # include() and the URLconf itself are not entry points


def test_drf_viewsets_api_views_and_api_view_functions(scan) -> None:
    api = [e for e in scan(SITE) if e.file == "shop/api.py"]
    assert api == sorted(
        [
            ep(SITE, "shop/api.py", "OrderViewSet.list", "drf", "/shop/api/orders/", ("GET",)),
            ep(SITE, "shop/api.py", "OrderViewSet.destroy", "drf", "/shop/api/orders/<pk>/", ("DELETE",)),
            ep(SITE, "shop/api.py", "OrderViewSet.cancel_order", "drf", "/shop/api/orders/<pk>/cancel/", ("POST",)),
            ep(SITE, "shop/api.py", "OrderViewSet.recent", "drf", "/shop/api/orders/recent/", ("GET",)),
            ep(SITE, "shop/api.py", "ImportView.post", "drf", "/shop/api/import/", ("POST",)),
            ep(SITE, "shop/api.py", "stats", "drf", "/shop/api/stats/", ("GET", "POST")),
            ep(SITE, "shop/api.py", "unrouted_api", "drf", None, ("GET",)),
        ]
    )


def test_class_based_views_found_by_base_class_without_urls(scan) -> None:
    files = {
        "app/__init__.py": "",
        "app/base.py": """
            from django.views import generic

            class BaseView(generic.View):
                pass
            """,
        "app/views.py": """
            from .base import BaseView

            class Child(BaseView):
                def put(self, request):
                    return None

            class NotAView:
                def get(self, request):
                    return None
            """,
    }
    assert scan(files) == [ep(files, "app/views.py", "Child.put", "django", None, ("PUT",))]


def test_router_from_another_module_appended_to_urlpatterns_and_drf_hooks(scan) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/urls.py": """
            from django.urls import include, path

            urlpatterns = [path("v2/", include("api.urls"))]
            """,
        "api/__init__.py": "",
        "api/routers.py": """
            from rest_framework import routers

            router = routers.SimpleRouter()
            """,
        "api/urls.py": """
            from .routers import router
            from .views import Things, Search

            router.register("things", Things)
            urlpatterns = []
            urlpatterns += router.urls
            """,
        "api/views.py": """
            from rest_framework import generics, viewsets

            class Things(viewsets.ReadOnlyModelViewSet):
                def get_queryset(self):
                    return []

            class Search(generics.ListAPIView):
                def get_queryset(self):
                    return []
            """,
    }
    # hooks stand in for the generic handlers when a class overrides none of them
    assert scan(files) == [
        EntryPoint("api/views.py", "Search.get_queryset", 8, "drf", None, ()),
        EntryPoint("api/views.py", "Things.get_queryset", 4, "drf", "/v2/things/", ()),
    ]
