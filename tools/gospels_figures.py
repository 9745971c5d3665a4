"""Print the figures the README quotes for the `gospels` data set under each sentence rule.

Usage: .venv/bin/python tools/gospels_figures.py
"""

from __future__ import annotations

from sweepstat.data import build_gospels, label_agreement
from sweepstat.data._gospels import count_red_letter_verses
from sweepstat.spec import GospelsSpec


def main() -> None:
    print("rule                                  sentences  label 1  agreement")
    for name, spec in [
        ("default (split speech, drop intros)", GospelsSpec()),
        ("split speech, keep intros", GospelsSpec(speech_intros="keep")),
        ("sentence ends only", GospelsSpec(split_speech=False)),
    ]:
        frame = build_gospels(spec)
        print(f"{name:37} {len(frame):9,} {frame.label.mean():8.1%} {label_agreement(frame):10.2%}")
    n_verses, n_red = count_red_letter_verses(GospelsSpec())
    print(f"verses: {n_verses:,}; verses holding words of Jesus (red-letter markup): {n_red:,}")


if __name__ == "__main__":
    main()
