class EventDecodeError(Exception):
    """Base of every failure to turn a Kafka message into a typed envelope."""


class UnknownTopicError(EventDecodeError, LookupError):
    def __init__(self, topic: str) -> None:
        super().__init__(f"no event is registered for topic {topic!r}")
        self.topic = topic


class InvalidEventError(EventDecodeError, ValueError):
    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"invalid event on topic {topic!r}: {reason}")
        self.topic = topic
        self.reason = reason
