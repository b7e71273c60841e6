from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from . import api, views

router = DefaultRouter()
router.register(r"orders", api.OrderViewSet, basename="order")

app_name = "shop"

urlpatterns = [
    path("", views.product_list, name="product-list"),
    path("products/search/", views.ProductSearchView.as_view(), name="product-search"),
    re_path(r"^category/(?P<category>[^/]+)/$", views.category_view, name="category"),
    path("products/<int:product_id>/reviews/preview/", views.review_preview, name="review-preview"),
    path("orders/<int:order_id>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("promotions/preview/", views.PromotionPreviewView.as_view(), name="promotion-preview"),
    path("api/catalog/import/", api.CatalogImportView.as_view(), name="catalog-import"),
    path("api/", include(router.urls)),
]
