"""People: participants and their chat accounts, the CSV import, invitation codes, who may see
what, and what the bot keeps about a person."""
