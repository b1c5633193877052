"""Billing tests use the plan, subscriber and cards of tests/conftest.py and
tests/support/billing.py."""
