"""Everything the bot sends on its own: the outbox queue, the worker that delivers it, the pacing
that keeps each platform's limits, and the leader lock that makes one process the scheduler."""
