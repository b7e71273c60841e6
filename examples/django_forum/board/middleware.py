from django.db import connection
from django.utils import translation


class RegionLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        region = request.headers.get("X-Forum-Region", "").strip()
        if region:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT language FROM board_locale WHERE region = '{region}'")
                row = cursor.fetchone()
            if row:
                translation.activate(row[0])
                request.LANGUAGE_CODE = row[0]
        return self.get_response(request)
