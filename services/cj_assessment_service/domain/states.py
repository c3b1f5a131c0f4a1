"""The assessment state machine."""

from common_core.domain_enums import CJBatchState

_NEXT: dict[CJBatchState, frozenset[CJBatchState]] = {
    CJBatchState.INITIALIZING: frozenset(
        {CJBatchState.AWAITING_AUTHORIZATION, CJBatchState.COMPARING}
    ),
    CJBatchState.AWAITING_AUTHORIZATION: frozenset({CJBatchState.COMPARING}),
    CJBatchState.COMPARING: frozenset({CJBatchState.SCORING}),
    CJBatchState.SCORING: frozenset({CJBatchState.COMPLETED}),
    CJBatchState.COMPLETED: frozenset(),
    CJBatchState.FAILED: frozenset(),
    CJBatchState.CANCELLED: frozenset(),
}


class InvalidTransition(ValueError):
    pass


def can_move(current: CJBatchState, target: CJBatchState) -> bool:
    if current.is_terminal:
        return False
    if target in (CJBatchState.FAILED, CJBatchState.CANCELLED):
        return True
    return target in _NEXT[current]


def check_move(current: CJBatchState, target: CJBatchState) -> None:
    if not can_move(current, target):
        raise InvalidTransition(f"an assessment cannot go from {current} to {target}")
