"""Mailing-list mail: read, archived once, relayed into chat (docs/mailing-list.md)."""
