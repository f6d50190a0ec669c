"""Translation of what people write (issue 18): the provider interface, the LibreTranslate and
DeepL clients, the resilience around them, and the text handling (protect, split) that keeps
links, markup and numbers intact. docs/translation.md describes it for operators."""
