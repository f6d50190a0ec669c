"""Text for people: translations per message, CLDR formatting, safe markup, forgiving matching of
what people type, strict reading of numbers, and charts."""
