"""Platform scripts: the local stack, migrations, topic set-up, the outbox verifier, the demo."""
