from uuid import UUID, uuid4, uuid5

from hypothesis import given
from hypothesis import strategies as st

from huleedu_service_libs.correlation import (
    CORRELATION_NAMESPACE,
    MAX_ORIGINAL_LENGTH,
    CorrelationContext,
)


def test_uuid_header_is_used_as_is() -> None:
    sent = uuid4()

    context = CorrelationContext.from_header(str(sent))

    assert context == CorrelationContext(original=str(sent), uuid=sent)


def test_other_printable_value_is_kept_and_mapped_deterministically() -> None:
    first = CorrelationContext.from_header("order-42/retry")
    second = CorrelationContext.from_header("order-42/retry")

    assert first.original == "order-42/retry"
    assert first.uuid == uuid5(CORRELATION_NAMESPACE, "order-42/retry")
    assert first == second


def test_missing_or_blank_header_gets_a_generated_uuid() -> None:
    for value in (None, "", "   "):
        context = CorrelationContext.from_header(value)
        assert context.original == str(context.uuid)
        assert context.uuid.version == 4


def test_distinct_generated_ids() -> None:
    assert CorrelationContext.from_header(None) != CorrelationContext.from_header(None)


def test_value_at_the_length_limit_is_kept_and_one_longer_is_replaced() -> None:
    at_limit = "a" * MAX_ORIGINAL_LENGTH

    assert CorrelationContext.from_header(at_limit).original == at_limit
    replaced = CorrelationContext.from_header(at_limit + "a")
    assert replaced.original == str(replaced.uuid)


def test_control_characters_are_replaced() -> None:
    for value in ("abc\x00def", "line\nbreak", "tab\there", "del\x7f"):
        context = CorrelationContext.from_header(value)
        assert context.original == str(context.uuid)
        assert context.uuid.version == 4


def test_from_uuid_keeps_the_uuid_and_defaults_original() -> None:
    value = uuid4()

    assert CorrelationContext.from_uuid(value).original == str(value)
    assert CorrelationContext.from_uuid(value, "abc") == CorrelationContext("abc", value)


@given(st.one_of(st.none(), st.text(max_size=300)))
def test_any_header_value_yields_a_usable_context(value: str | None) -> None:
    context = CorrelationContext.from_header(value)

    assert isinstance(context.uuid, UUID)
    assert 0 < len(context.original) <= MAX_ORIGINAL_LENGTH
    assert all(" " <= char <= "~" for char in context.original)
    context.original.encode("latin-1")
