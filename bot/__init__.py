"""coordbot: coordinates an international meeting over chat, in English, French and Spanish."""

__version__ = "0.1.0"
