from django.http import JsonResponse
from django.urls import reverse


def index(request):
    # reverse() includes the WSGI SCRIPT_NAME, so links work under any mount point.
    return JsonResponse({
        "app": "django",
        "item_url": reverse("item", args=[7]),
        "script_name": request.META.get("SCRIPT_NAME", ""),
    })


def item(request, item_id):
    return JsonResponse({"id": item_id, "q": request.GET.get("q")})
