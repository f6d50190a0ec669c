"""What a provider's HTTP answer says about trying again, for the resilience wrapper.

Providers raise only `TranslationUnavailable`; these subclasses carry what the wrapper needs
to decide between retrying (429, 5xx, a timeout) and giving up at once (a refused key, a bad
language), so callers still catch the one exception of the interface."""

from __future__ import annotations

from bot.translation.provider import TranslationUnavailable


class ServiceRefused(TranslationUnavailable):
    """The service answered an HTTP error: `status`, and the seconds it asked to wait (429)."""

    def __init__(self, provider: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"{provider} answered HTTP {status}")
        self.status = status
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Worth trying again: too many requests, or the server's own trouble."""
        return self.status == 429 or self.status >= 500

    @property
    def service_fault(self) -> bool:
        """Says the service is unusable (down, overloaded, key refused, quota spent), as
        opposed to one request it could not take (400, 413): only those open the circuit."""
        return self.transient or self.status in (401, 403, 456)


class ServiceTimedOut(TranslationUnavailable):
    """One attempt took longer than its timeout."""


def retry_after_seconds(header: str | None) -> float | None:
    """Retry-After as seconds (the delta form; an HTTP date is not worth parsing here: the
    wrapper falls back to its own backoff)."""
    if header is None:
        return None
    try:
        seconds = float(header.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


class ServiceUnreachable(TranslationUnavailable):
    """No answer at all: connection refused or reset, DNS, TLS."""


class NoFreeSlot(TranslationUnavailable):
    """The call waited for one of the bot's own request slots past its deadline: too much to
    translate at once, not the service's fault (the circuit does not count it)."""
