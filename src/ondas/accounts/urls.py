from django.urls import path

from ondas.accounts import token_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.account_view, name="account"),
    path("sign-up/", views.sign_up_view, name="sign-up"),
    path("sign-up/sent/", views.sign_up_sent_view, name="sign-up-sent"),
    path(
        "sign-up/confirm/<str:token>/",
        views.sign_up_confirm_view,
        name="sign-up-confirm",
    ),
    path("sign-in/", views.sign_in_view, name="sign-in"),
    path("sign-out/", views.sign_out_view, name="sign-out"),
    path("verify/resend/", views.verification_resend_view, name="verify-email-resend"),
    path("verify/<str:token>/", views.verify_email_view, name="verify-email"),
    path("export/", views.account_export_view, name="export"),
    path("tokens/", token_views.token_create_view, name="token-create"),
    path(
        "tokens/<int:token_id>/revoke/",
        token_views.token_revoke_view,
        name="token-revoke",
    ),
    path("delete/", views.account_delete_view, name="delete"),
    path("deleted/", views.account_deleted_view, name="deleted"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path(
        "password/changed/",
        views.PasswordChangeDoneView.as_view(),
        name="password-change-done",
    ),
    path("password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password/reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
]
