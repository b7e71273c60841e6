from decimal import Decimal, InvalidOperation

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views import View
from django.views.decorators.http import require_POST

from . import queries, rendering
from .models import Order, Product
from .services import apply_promotion as evaluate_promotion


def product_list(request: HttpRequest) -> JsonResponse:
    products = Product.objects.order_by("name").values("id", "sku", "name", "price")[:50]
    return JsonResponse({"products": list(products)})


class ProductSearchView(View):
    def get(self, request: HttpRequest) -> JsonResponse:
        term = request.GET.get("q", "").strip()
        if not term:
            return JsonResponse({"results": []})
        return JsonResponse({"results": queries.search_products(term)})


def category_view(request: HttpRequest, category: str) -> HttpResponse:
    products = queries.products_in_category(category)
    heading = rendering.category_heading(category, len(products))
    items = "".join(rendering.product_row(p) for p in products)
    return HttpResponse(f"{heading}<ul>{items}</ul>")


@login_required
@require_POST
def review_preview(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=product_id)
    body = request.POST.get("body", "")
    return HttpResponse(rendering.review_html(product.name, request.user.get_username(), body))


class OrderDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, order_id: int) -> JsonResponse:
        try:
            order = queries.order_by_id(order_id)
        except Order.DoesNotExist:
            raise Http404("order not found")
        if order.customer_id != request.user.id:
            raise PermissionDenied
        return JsonResponse(
            {
                "id": order.pk,
                "created_at": order.created_at.isoformat(),
                "total": str(order.total),
                "shipping_address": order.shipping_address,
            }
        )


class PromotionPreviewView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> JsonResponse:
        rule = request.POST.get("rule", "subtotal")
        try:
            subtotal = Decimal(request.POST.get("subtotal", "0"))
            item_count = int(request.POST.get("items", "0"))
        except (InvalidOperation, ValueError):
            return HttpResponseBadRequest("invalid cart")
        total = evaluate_promotion(rule, subtotal, item_count)
        return JsonResponse({"total": str(total)})
