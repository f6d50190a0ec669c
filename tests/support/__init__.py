"""Helpers shared by the tests: databases, factories and a scripted chat."""
