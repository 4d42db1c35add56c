"""Notifier adapters. Implements the Notifier port."""

import logging

logger = logging.getLogger(__name__)


class LoggingNotifier:
    """Writes notifications to the log: the default until a real e-mail provider is wired in."""

    async def send(self, customer_id: int, subject: str, body: str) -> None:
        logger.info("notification to customer %s: %s", customer_id, subject)
