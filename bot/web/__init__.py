"""The aiohttp application: webhooks, the sandbox chat page, health."""
