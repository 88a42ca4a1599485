"""What a task's text states about its arguments' domain, read off plain words.

A task's examples bound the inputs generated for it (``verifiers.strategies``), but
some promises are only in its words: "a non-empty list", "a positive integer", "the
list is guaranteed to have unique elements", "words separated by hyphens". An input
that breaks such a promise is outside the task: candidates may answer it any way,
so it proves nothing against one (a correct answer to HumanEval/109, which promises
unique elements, was disputed on ``[4, 14, 4]``), and right answers that differ
there split an agreement group. The words are matched as written, in English, and
only where they are unambiguous; a task that states nothing gets the full domain.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_NON_EMPTY = re.compile(r"\bnon-?empty\b|\bat least one\b", re.IGNORECASE)
_POSITIVE = re.compile(r"(?<!non-)(?<!non )\bpositive\b", re.IGNORECASE)
_NON_NEGATIVE = re.compile(r"\bnon-?negative\b", re.IGNORECASE)
_NEGATIVE = re.compile(r"(?<!non-)(?<!non )(?<!\bno )(?<!\bnot )\bnegative\b", re.IGNORECASE)
_SEPARATORS = {"hyphen": "-", "dash": "-", "comma": ",", "underscore": "_", "period": ".", "dot": ".",
               "colon": ":", "semicolon": ";", "slash": "/", "pipe": "|"}
_NAMED = re.compile(r"\b(" + "|".join(_SEPARATORS) + r")(e?s)?\b", re.IGNORECASE)
_ITEMS = r"(elements|numbers|integers|values|items)"
_UNIQUE = re.compile(  # a promise about the input, not "return the unique elements"
    rf"\b(have|has|having|with|contains?|of)\s+(only\s+)?(unique|distinct)\s+{_ITEMS}\b"
    rf"|\b{_ITEMS}\s+are\s+(all\s+)?(unique|distinct)\b|\bno duplicates\b"
    # "will not contain duplicate values" (HumanEval/135), "does not have any duplicates"
    rf"|\b(will|does|do|shall|must|should|can)\s*n[o']t\s+(contain|have|include|hold)\s+(any\s+)?duplicate"
    rf"|\bno\s+duplicate\s+{_ITEMS}\b", re.IGNORECASE)
_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_COUNTED = re.compile(r"\b(?:a|an|the)\s+(?:list|array)\s+of\s+(two|three|four|five|six|[2-9])\s+\w+", re.IGNORECASE)
_SPACES = re.compile(r"\b(spaces?|whitespace)\b", re.IGNORECASE)
_SPACING = re.compile(  # how spaces fall matters, not only that they separate words
    r"\bblank\b|\bwhitespaces?\b|\b(consecutive|multiple|extra|leading|trailing|double|several)\s+spaces?\b"
    r"|\bmore than (one|two|1|2)\s+(consecutive\s+)?spaces?\b|\bruns? of spaces\b"
    r"|\bignor\w*\s+(any\s+|all\s+|the\s+)?spaces?\b", re.IGNORECASE)  # HumanEval/1: "Ignore any spaces"
_CASE = r"(upper|lower)[- ]?case"
_CASED = re.compile(  # letter case matters; "lowercase letters" alone is a promise about the input instead
    r"\bcase[- ]?(in)?sensitiv|\bcase is ignored\b|\b(be|is|are)\s+in\s+either case\b|(?<!\bin )\beither case\b"
    # "ignoring case", "swaps case", "reverse its case": not "ignore the case where ...", "in the reverse case"
    r"|(?<!\bthe )\b(ignor\w*|regardless of|irrespective of|keep\w*|preserv\w*|swaps?|swapping|reverses?|change)"
    r"\s+(the\s+|its\s+|their\s+)?case\b(?!\s+(where|when|that|if|in which|order|n\b))"
    rf"|\b{_CASE}\b[^.\n]*\b{_CASE}\b|\bupper and lower\b|\blower and upper\b", re.IGNORECASE)
_NON_LETTERS = re.compile(  # characters besides letters may be in a string: "every non-letter is kept"
    # ... but not where the words promise there are none ("no punctuation", "without
    # special characters": a red team's right answers split on a punctuation mark).
    r"(?<!\bno )(?<!\bwithout )(?<!\bwithout any )"
    r"(\bnon-?(letter|alphabetic|alpha|alphanumeric)s?\b|\b(not|isn'?t|aren'?t)\s+(a\s+)?letters?\b"
    r"|\bpunctuation\b|\b(other|special)\s+characters\b)", re.IGNORECASE)
_NUMERAL = re.compile(r"-?[0-9]+")
_NONE = re.compile(r"\bNone\b|\bnull\b")  # "None" as Python spells it: "if there are none" is not about the value
_KIND_NAMES = r"(dict|dictionary|list|string|str|int|integer|number|tuple|set)"
_KINDS = re.compile(  # a value may be of another kind than the examples show
    rf"\bnot\s+(a|an)\s+{_KIND_NAMES}\b|\bnon-?{_KIND_NAMES}s?\b"
    r"|\b(other|mixed|different)\s+(types?|kinds?)\b|\bof any (type|kind)\b", re.IGNORECASE)
_ONE_CASE = re.compile(  # a promise that the input is in one case: nothing to widen
    rf"\b(only|always|never|all|no)\s+(in\s+)?{_CASE}\b|\b(is|are)\s+(all\s+|always\s+|only\s+)?(in\s+)?{_CASE}\b"
    rf"|\b(a|an|the)\s+{_CASE}\s+(?!and\b|or\b)\w+|\b(string|word|text|letters?)\s+(of|in)\s+(only\s+)?{_CASE}\b",
    re.IGNORECASE)

_KEPT = re.compile(  # the arguments are to be left as they are
    r"\b(don'?t|do not|does not|must not|should not|never|without)\s+(chang|modify|modifies|mutat|alter)\w*"
    r"|\breturns?\s+a\s+(new\s+)?copy\b", re.IGNORECASE)  # not "unchanged": that is mostly about the output


@dataclass(frozen=True)
class Domain:
    """What a task's text promises about its arguments (``stated``); ``admits``: whether
    a value keeps those promises."""

    empty: bool = True
    zero: bool = True
    negative: bool = True
    separators: str = ""
    """Separator characters the task names, in the order it names them."""
    spaces: bool = False
    """The task speaks of spaces or whitespace."""
    spacing: bool = False
    """The task's words make the spacing itself matter ("keep the blank spaces",
    "split on whitespace", "consecutive spaces"): its strings may be spaced any way,
    even where every example is single-spaced."""
    unique: bool = False
    """The task promises its list's elements are unique ("guaranteed to have unique
    elements", "distinct integers", "no duplicates", "will not contain duplicate values")."""
    cased: bool = False
    """The task's words make letter case matter ("case-sensitive", "ignoring case",
    "treating uppercase and lowercase letters as the same"): its strings may hold
    letters of either case, even where every example is in one."""
    non_letters: bool = False
    """The task speaks of characters other than letters ("every non-letter character is
    kept", "ignoring punctuation"): its strings may hold them, though every example is
    letters alone."""
    none: bool = False
    """The task speaks of ``None`` ("a value of None still counts"): a value inside its
    inputs may be None, though no example shows one."""
    signed: bool = False
    """The task speaks of negative numbers ("which may be negative or zero"): its numbers
    may be negative, though every example is positive (a pick that ignored two large
    negatives' product agreed with the right answer on every positive input)."""
    kinds: bool = False
    """The task speaks of values of another kind ("a value met along the path is not a
    dict", "non-string items", "mixed types"): a value may not be what the examples show."""
    counted: int = 0
    """The task says how many items its list holds ("a list of two strings"): its lists
    hold that many, where every example's does."""
    kept: bool = False
    """The task says its arguments are left as they are ("don't change the given array",
    "return a copy"): a candidate that changes one is wrong there. Only then: sorting a
    list argument in place is how most right answers to HumanEval/47 (median) are
    written, and its task says nothing of it."""

    @classmethod
    def stated(cls, text: str) -> Domain:
        positive = bool(_POSITIVE.search(text))
        count = _COUNTED.search(text)
        named = "".join(dict.fromkeys(_SEPARATORS[m.group(1).lower()] for m in _NAMED.finditer(text)))
        return cls(empty=not _NON_EMPTY.search(text), zero=not positive,
                   negative=not (positive or _NON_NEGATIVE.search(text)), separators=named,
                   spaces=bool(_SPACES.search(text)), spacing=bool(_SPACING.search(text)), unique=bool(_UNIQUE.search(text)),
                   cased=bool(_CASED.search(text)) and not _ONE_CASE.search(text),
                   non_letters=bool(_NON_LETTERS.search(text)), none=bool(_NONE.search(text)),
                   kinds=bool(_KINDS.search(text)), kept=bool(_KEPT.search(text)),
                   signed=bool(_NEGATIVE.search(text)) and not positive,
                   counted=0 if count is None else _COUNTS.get(count.group(1).lower()) or int(count.group(1)))

    def admits(self, value: Any) -> bool:
        if type(value) in (list, tuple, set, frozenset, dict):
            # Numbers at any depth are held to the domain ("lists of positive integers":
            # no [[-1, 2], [3]], a red team), emptiness and repeats only at the top ("a
            # non-empty list of strings" may hold an empty string), and a string that is
            # a whole number only as a whole argument (in "fractions as strings, with a
            # positive denominator", "-2" inside a list is a fraction, not a number).
            return (self.empty or len(value) > 0) and not (self.unique and repeats(value)) \
                and all(self._admits_number(x) for x in _scalars_within(value) if type(x) is not str)
        if type(value) is str and not _NUMERAL.fullmatch(value):
            return self.empty or len(value) > 0
        return self._admits_number(value)

    def fitted(self, *values: Any) -> Domain:
        """The domain for an argument the prompt's own examples pass as ``values``: each
        promise one of them breaks is dropped, since the words were about another
        argument (HumanEval/30 says "return only positive numbers" of the list it is
        shown ``[-1, 2, -4, 5, 6]``: the list's edges may hold negatives)."""
        zero, negative, empty, unique = self.zero, self.negative, self.empty, self.unique
        for value in values:
            container = type(value) in (list, tuple, set, frozenset, dict)
            scalars = [x for x in _scalars_within(value) if type(x) is not str] if container else [value]
            numbers = [n for n in map(_number, scalars) if n is not None]
            zero = zero or 0 in numbers
            negative = negative or any(n < 0 for n in numbers)
            empty = empty or ((container or type(value) is str) and len(value) == 0)
            unique = unique and not repeats(value)
        return dataclasses.replace(self, zero=zero, negative=negative, empty=empty, unique=unique)

    def _admits_number(self, value: Any) -> bool:
        """Whether a number, or a string that is a whole number, keeps the promises on sign
        and zero; True for any other value."""
        number = _number(value)
        return number is None or ((self.zero or number != 0) and (self.negative or number >= 0))


def repeats(value: Any) -> bool:
    """Whether a list or tuple holds the same item twice (by ``repr``: exact types)."""
    return type(value) in (list, tuple) and len({repr(x) for x in value}) < len(value)


def _number(value: Any) -> float | None:
    """A number as itself; a string that is a whole number as its sign, -1, 0 or 1 (it is
    held to the words as that number: "a string representing a positive integer" admits
    no "0", a red team; its size never matters, and reading a long one would be slow);
    None for any other value, NaN too (neither above nor below zero: no promise judges it)."""
    if type(value) is float:
        return None if math.isnan(value) else value
    if type(value) is int:
        return (value > 0) - (value < 0)
    if type(value) is str and _NUMERAL.fullmatch(value):
        return 0 if value.lstrip("-").strip("0") == "" else -1 if value.startswith("-") else 1
    return None


def _scalars_within(value: Any) -> Iterator[Any]:
    """Every value inside ``value``'s lists, tuples, sets and dicts (keys and values), at
    any depth, other than those containers; iteratively, so depth costs no recursion."""
    stack = [value]
    while stack:
        container = stack.pop()
        items = [*container.keys(), *container.values()] if type(container) is dict else container
        for item in items:
            if type(item) in (list, tuple, set, frozenset, dict):
                stack.append(item)
            else:
                yield item
