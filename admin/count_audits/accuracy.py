"""The count-audit comparison: how close the stored IN/OUT counts come to a hand count. Pure, no I/O.

Accuracy of a count against the hand count (the truth), 0..1:

    accuracy = max(0, 1 - |system - hand| / hand)

per direction (IN, OUT) and overall, where the overall accuracy adds the two directions' absolute errors,
`1 - (|system_in - hand_in| + |system_out - hand_out|) / (hand_in + hand_out)`, so an IN surplus cannot
hide an OUT shortfall (the "Σ |error|" of bench/counting_accuracy.py, as a fraction of the truth). With a
hand count of 0 there is nothing to divide by: a system count of 0 too is *not measured* (None: nobody
crossed, which says nothing about counting people), any system count above 0 is 0.0 (every count wrong).
"""

from __future__ import annotations

from dataclasses import dataclass


def accuracy(abs_error: int, truth: int) -> float | None:
    """`max(0, 1 - abs_error / truth)`; for `truth == 0`, None when `abs_error == 0` (not measured), else
    0.0. Both are counts of crossings (≥ 0)."""
    if truth == 0:
        return None if abs_error == 0 else 0.0
    return max(0.0, 1.0 - abs_error / truth)


@dataclass(frozen=True, slots=True)
class Comparison:
    """Hand and system IN/OUT counts of one window and their accuracies (0..1, None: not measured)."""

    hand_in: int
    hand_out: int
    system_in: int
    system_out: int

    @property
    def accuracy_in(self) -> float | None:
        """Accuracy of the IN count."""
        return accuracy(abs(self.system_in - self.hand_in), self.hand_in)

    @property
    def accuracy_out(self) -> float | None:
        """Accuracy of the OUT count."""
        return accuracy(abs(self.system_out - self.hand_out), self.hand_out)

    @property
    def accuracy(self) -> float | None:
        """Accuracy of IN and OUT together: both absolute errors over both hand counts."""
        error = abs(self.system_in - self.hand_in) + abs(self.system_out - self.hand_out)
        return accuracy(error, self.hand_in + self.hand_out)


def below_target(overall: float | None, target: float) -> bool:
    """Whether an audit's overall accuracy is below `target` (0..1); an audit that measured nothing
    (None) is not below it."""
    return overall is not None and overall < target
