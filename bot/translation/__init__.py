"""Translation of what people write (issue 18): the provider interface, the stored texts and
their translations, and how a reader sees them."""
