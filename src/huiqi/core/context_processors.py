from django.http import HttpRequest

from huiqi.core import navigation


def platform(request: HttpRequest) -> dict[str, object]:
    """The navigation for the signed-in user's role, available to every template as `nav`."""
    return {"nav": navigation.items_for(request.user), "platform_name": "惠企服务平台"}
