from django.http import JsonResponse
from django.urls import reverse


def index(request):
    # reverse() includes the path prefix Ferry's gateway strips (/{service}/{stage}), so links work under it.
    return JsonResponse({
        "app": "{{name}}",
        "framework": "django",
        "hello_url": reverse("hello", args=["world"]),
    })


def hello(request, name):
    return JsonResponse({"message": f"Hello, {name}!"})
