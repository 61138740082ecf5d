"""The payment provider adapter (Stripe-style REST): payment intents and refunds."""

from connectors.payments.client import PaymentsAdapter

__all__ = ["PaymentsAdapter"]
