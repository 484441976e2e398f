"""URLs of the ticket pages (included by appeals/urls.py under the "appeals" namespace, /appeals/).
Notification links point at /appeals/tickets/<id>/ (appeals.notices.ticket_link)."""

from django.urls import path

from huiqi.appeals import views_tickets

urlpatterns = [
    path("dispatch/", views_tickets.dispatch_queue, name="dispatch_queue"),
    path("reviews/", views_tickets.review_queue, name="review_queue"),
    path("department/", views_tickets.department_queue, name="department_queue"),
    path("supervision/", views_tickets.supervision_queue, name="supervision_queue"),
    path("follow-ups/", views_tickets.follow_up_queue, name="follow_up_queue"),
    path("tickets/<int:ticket_id>/", views_tickets.ticket_detail, name="ticket_detail"),
    path("tickets/<int:ticket_id>/<slug:action>/", views_tickets.ticket_action, name="ticket_action"),
]
