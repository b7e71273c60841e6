from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .models import Order
from .queries import order_by_id


class OrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "created_at", "total", "shipping_address"]


class OrderViewSet(viewsets.ViewSet):
    permission_classes = [IsAuthenticated]

    def list(self, request: Request) -> Response:
        orders = Order.objects.filter(customer=request.user).order_by("-created_at")
        return Response(OrderSerializer(orders, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        try:
            order = order_by_id(int(pk))
        except (TypeError, ValueError, Order.DoesNotExist):
            raise NotFound("order not found")
        return Response(OrderSerializer(order).data)


class CatalogImportView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    def post(self, request: Request) -> Response:
        upload = request.FILES.get("catalog")
        if upload is None:
            raise ValidationError({"catalog": "file required"})
        created = services.import_catalog(upload.read())
        return Response({"imported": created}, status=status.HTTP_201_CREATED)
