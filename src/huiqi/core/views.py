from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from huiqi.core import home as home_page


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The 工作台: figures and links for the signed-in user's role (core.home)."""
    return render(request, "core/home.html", {"home": home_page.home_for(request.user)})
