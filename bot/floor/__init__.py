"""The floor of a session: questions with votes (questions.py), the speakers' list
(speakers.py), live polls (polls.py), feedback after it (feedback.py), and who may take part
or moderate (rooms.py). docs/floor.md."""
