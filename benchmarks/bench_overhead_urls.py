"""The product's URLs plus two baselines for benchmarks/request_overhead.py: a plain Django
view and a plain DRF view (no authentication, no permission, plain JSON), neither in the
product."""

from django.http import JsonResponse
from django.urls import include, path
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

ANSWER = {"ok": True, "name": "baseline"}


def bare(request):
    return JsonResponse(ANSWER)


class PlainDrfView(APIView):
    authentication_classes = []
    permission_classes = []
    renderer_classes = [JSONRenderer]

    def get(self, request):
        return Response(ANSWER)


urlpatterns = [
    path("bench/bare", bare),
    path("bench/drf", PlainDrfView.as_view()),
    path("", include("config.urls")),
]
