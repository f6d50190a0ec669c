"""The evaluation survey: its file, answering it in chat, its results."""
