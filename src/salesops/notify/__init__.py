"""Notification channels: render a message, deliver it through the outbox (issue #19)."""
