from django.http import HttpRequest
from django.urls import reverse

from huiqi.core import navigation, selectors


def platform(request: HttpRequest) -> dict[str, object]:
    """The navigation for the signed-in user's role, available to every template as `nav`; the inbox
    item carries the unread count as `badge`."""
    nav = navigation.items_for(request.user)
    if nav:
        inbox_url = reverse("core:inbox")
        for item in nav:
            if item["url"] == inbox_url:
                unread = selectors.unread_count_for(user=request.user)
                item["badge"] = str(unread) if unread else ""
    return {"nav": nav, "platform_name": "惠企服务平台"}


def calendar_banners(request: HttpRequest) -> dict[str, object]:
    """Banners for system administrators when this or next year's holiday schedule is not entered."""
    from huiqi.core.calendar_selectors import calendar_banners as banners_for

    return {"banners": banners_for(request.user)}
