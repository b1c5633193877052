from django.urls import path

from ondas.billing import views

app_name = "billing"

urlpatterns = [
    path("plans/", views.plan_list_view, name="plans"),
    path("plans/<slug:plan_slug>/subscribe/", views.subscribe_view, name="subscribe"),
    path(
        "plans/<slug:plan_slug>/subscribe/confirm/",
        views.subscribe_confirm_view,
        name="subscribe-confirm",
    ),
    path(
        "plans/<slug:plan_slug>/subscribe/card/",
        views.checkout_return_view,
        name="checkout-return",
    ),
    path(
        "billing/checkout/done/",
        views.checkout_success_view,
        name="checkout-success",
    ),
    path(
        "billing/checkout/cancelled/",
        views.checkout_cancel_view,
        name="checkout-cancel",
    ),
    path(
        "billing/subscriptions/<int:subscription_id>/cancel/",
        views.subscription_cancel_view,
        name="subscription-cancel",
    ),
    path(
        "billing/subscriptions/<int:subscription_id>/resume/",
        views.subscription_resume_view,
        name="subscription-resume",
    ),
    path(
        "billing/subscriptions/<int:subscription_id>/card/",
        views.payment_method_change_view,
        name="payment-method-change",
    ),
    path(
        "billing/stripe/webhook/",
        views.stripe_webhook_view,
        name="stripe-webhook",
    ),
]
