"""Act tables: rounds, seats and waiting lists (`seating`), and who sat where for the report
(`annex`)."""
