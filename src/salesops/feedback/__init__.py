"""The customer's voice (issue #25): the closed feedback loop and topics from free text."""
