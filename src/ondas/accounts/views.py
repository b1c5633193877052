"""Account pages: sign-up, sign-in/out, verification, the account page, deletion.

Views parse the form, call one service, and render; the rules are in services.
Password change and reset are Django's views with Ondas templates.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import now as timezone_now
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from ondas.accounts.errors import (
    AccountFieldError,
    SignUpAlreadyConfirmed,
    VerificationLinkExpired,
    VerificationLinkInvalid,
)
from ondas.accounts.forms import DeleteAccountForm, SignInForm, SignUpForm
from ondas.accounts.models import User
from ondas.accounts.privacy import deletion_refusals
from ondas.accounts.ratelimit import client_ip
from ondas.accounts.reset import password_reset_request
from ondas.accounts.selectors import account_sections_for_user, user_export_json
from ondas.accounts.services import (
    email_normalize,
    user_authenticate,
    user_delete,
    user_password_reset_complete,
    user_send_verification_email,
    user_send_verification_email_for_token,
    user_verify_email,
)
from ondas.accounts.signup import (
    user_get_by_sign_up_token,
    user_sign_up,
    user_sign_up_confirm,
)
from ondas.accounts.types import AuthedHttpRequest

NEXT = "next"
# Where the sign-up page leaves the address for the "check your email" page.
SIGN_UP_SENT = "ondas_sign_up_sent"


def _safe_next(request: HttpRequest, default: str) -> str:
    """Return the ``next`` address if it stays on this site, else ``default``."""
    target = request.POST.get(NEXT) or request.GET.get(NEXT) or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


def _form_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    error: AccountFieldError | None = None,
) -> HttpResponse:
    """Render a form page: 400 for a badly filled form, the error's status else."""
    form = context["form"]
    status = 400 if form.errors else 200
    if error is not None:
        form.add_error(None if error.field == "__all__" else error.field, error.message)
        status = error.http_status
    response = render(request, template, context, status=status)
    if error is not None and (retry_after := error.data.get("retry_after")):
        response["Retry-After"] = str(retry_after)
    return response


@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_up_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:account")
    form = SignUpForm(request.POST or None)
    next_url = _safe_next(request, "accounts:account")
    context: dict[str, Any] = {"form": form, "next": next_url}
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "accounts/sign_up.html", context)
    data = form.cleaned_data
    try:
        # The same answer whether or not the address has an account.
        user_sign_up(
            email=data["email"],
            password=data["password1"],
            client_ip=client_ip(request),
            next_url=next_url,
        )
    except AccountFieldError as exc:
        return _form_page(request, "accounts/sign_up.html", context, exc)
    request.session[SIGN_UP_SENT] = {
        "email": email_normalize(data["email"]),
        "next": next_url,
    }
    return redirect("accounts:sign-up-sent")


@never_cache
@require_safe
def sign_up_sent_view(request: HttpRequest) -> HttpResponse:
    sent = request.session.get(SIGN_UP_SENT)
    if not isinstance(sent, dict):
        return redirect("accounts:sign-up")
    return render(request, "accounts/sign_up_sent.html", sent)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_up_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    # The link only shows a button: mail scanners open links, and only the
    # person should be signed in.
    next_url = _safe_next(request, "accounts:account")
    try:
        if request.method != "POST":
            account = user_get_by_sign_up_token(token=token, now=timezone_now())
            context = {"account": account, "next": next_url}
            return render(request, "accounts/sign_up_confirm.html", context)
        user = user_sign_up_confirm(token=token)
    except SignUpAlreadyConfirmed as exc:
        messages.info(request, exc.message)
        return auth_views.redirect_to_login(next_url)
    except (VerificationLinkInvalid, VerificationLinkExpired) as exc:
        return _link_failed(request, token, exc)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Welcome to Ondas! Your account is ready."))
    return redirect(next_url)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_view(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    next_url = _safe_next(request, settings.LOGIN_REDIRECT_URL)
    context: dict[str, Any] = {"form": form, "next": next_url}
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "accounts/sign_in.html", context)
    data, ip = form.cleaned_data, client_ip(request)
    try:
        user = user_authenticate(
            email=data["email"], password=data["password"], client_ip=ip
        )
    except AccountFieldError as exc:
        return _form_page(request, "accounts/sign_in.html", context, exc)
    login(request, user)
    return redirect(next_url)


@require_http_methods(["GET", "HEAD", "POST"])
def sign_out_view(request: HttpRequest) -> HttpResponse:
    # Signing out changes state, so only a POST does it; a GET asks first.
    if request.method != "POST":
        return render(request, "accounts/sign_out.html")
    logout(request)
    return redirect("web:home")


@never_cache
@login_required
def account_view(request: AuthedHttpRequest) -> HttpResponse:
    sections = account_sections_for_user(user=request.user)
    return render(
        request,
        "accounts/account.html",
        {"account_user": request.user, "sections": sections},
    )


@never_cache
@require_http_methods(["GET", "HEAD"])
def verify_email_view(request: HttpRequest, token: str) -> HttpResponse:
    # A GET, because people open the link from their mail; doing it twice is
    # harmless.
    try:
        user = user_verify_email(token=token)
    except (VerificationLinkInvalid, VerificationLinkExpired) as exc:
        return _link_failed(request, token, exc)
    return render(request, "accounts/verified.html", {"verified_user": user})


def _link_failed(
    request: HttpRequest,
    token: str,
    error: VerificationLinkInvalid | VerificationLinkExpired,
) -> HttpResponse:
    """Say why a link from an email did not work; offer a new one if it expired."""
    context = {
        "error": error,
        "token": token if isinstance(error, VerificationLinkExpired) else "",
    }
    return render(
        request, "accounts/verify_failed.html", context, status=error.http_status
    )


@require_POST
def verification_resend_view(request: HttpRequest) -> HttpResponse:
    if token := request.POST.get("token", ""):
        user = user_send_verification_email_for_token(token=token)
    elif isinstance(request.user, User):
        user = user_send_verification_email(user=request.user)
    else:
        return auth_views.redirect_to_login(reverse("accounts:account"))
    return render(request, "accounts/verification_sent.html", {"sent_to": user})


@sensitive_post_parameters("password")
@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_delete_view(request: AuthedHttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None)
    context: dict[str, Any] = {
        "form": form,
        "refusals": deletion_refusals(user=request.user),
    }
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, "accounts/delete.html", context)
    password, ip = form.cleaned_data["password"], client_ip(request)
    try:
        user_delete(user=request.user, password=password, client_ip=ip)
    except AccountFieldError as exc:
        return _form_page(request, "accounts/delete.html", context, exc)
    logout(request)
    return redirect("accounts:deleted")


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def account_export_view(request: AuthedHttpRequest) -> HttpResponseBase:
    stamp = timezone_now().strftime("%Y-%m-%d")
    response = StreamingHttpResponse(
        user_export_json(user=request.user),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="ondas-data-{stamp}.json"'
    return response


@require_http_methods(["GET", "HEAD"])
def account_deleted_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/deleted.html")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password-change-done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    # Our own template names: django.contrib.admin comes first in
    # INSTALLED_APPS, so its registration/ templates would win over ours.
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form: Any) -> HttpResponse:
        # Counted and queued here, sent by a task: the same answer, in the
        # same time, whether or not an account uses the address.
        wait = password_reset_request(
            email=form.cleaned_data["email"], client_ip=client_ip(self.request)
        )
        if wait is not None:
            minutes = max(1, -(-wait // 60))
            form.add_error(
                None,
                _(
                    "Too many password reset requests. Please wait %(minutes)s "
                    "minutes and try again."
                )
                % {"minutes": minutes},
            )
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(wait)
            return response
        return redirect(self.success_url)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")
    title = gettext_lazy("Choose a new password")

    def form_valid(self, form: SetPasswordForm[Any]) -> HttpResponse:
        response = super().form_valid(form)
        # The link came by email, so it proves the address too.
        user_password_reset_complete(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
