"""Errors raised by the appeal classifier.

`huiqi.classifier` is pure Python (no Django), so it cannot raise the platform's ``ApplicationError``
subclasses itself; the appeals app turns these into ``ValidationFailedError`` with the same message.
Messages are in Chinese and name the row, column or file at fault.
"""

from __future__ import annotations


class ClassifierError(ValueError):
    """Base class: the classifier refused its input."""


class TrainingDataError(ClassifierError):
    """The labelled texts cannot train a classifier (too few, a category with too few examples, bad CSV)."""


class ModelFileError(ClassifierError):
    """A file is not a saved appeal classifier, or was saved by an incompatible format version."""
