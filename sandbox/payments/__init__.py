"""The simulated payment provider (Stripe-style REST)."""

from sandbox.payments.app import create_payments_app

__all__ = ["create_payments_app"]
