from django.urls import URLPattern, URLResolver, path

from ondas.studio import views

app_name = "studio"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard_view, name="dashboard"),
    path("shows/new/", views.show_create_view, name="show-create"),
    path("shows/<int:show_id>/", views.show_edit_view, name="show-edit"),
    path("shows/<int:show_id>/members/", views.members_view, name="members"),
    path(
        "shows/<int:show_id>/members/<int:membership_id>/role/",
        views.member_role_view,
        name="member-role",
    ),
    path(
        "shows/<int:show_id>/members/<int:membership_id>/remove/",
        views.member_remove_view,
        name="member-remove",
    ),
    path(
        "shows/<int:show_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path("shows/<int:show_id>/leave/", views.show_leave_view, name="show-leave"),
    path("claim/<slug:show_slug>/", views.show_claim_view, name="show-claim"),
    path(
        "invitations/<str:token>/",
        views.invitation_accept_view,
        name="invitation-accept",
    ),
]
