"""User-facing errors of Stance Atlas: one class per failure, all under `AnalysisError`.

Pages catch `AnalysisError` and show `str(exc)`; the CLI prints it on one line and exits 2.
Everything else is a bug and propagates.
"""

from __future__ import annotations


class AnalysisError(Exception):
    """Base of every error a user can cause or fix; its message is one line naming the value and the fix."""


class InputError(AnalysisError):
    """Base of errors about the article text or file a user gave."""


class EmptyArticleError(InputError):
    """The text is empty or only whitespace after cleaning."""


class ArticleTooLongError(InputError):
    """The text is longer than the configured limit."""


class NotUtf8Error(InputError):
    """A file's bytes are not UTF-8 text."""


class BinaryFileError(InputError):
    """A file holds binary data (an image, a PDF, an archive...), not text."""


class NotEnglishError(InputError):
    """The text is not in English, the only language the models read."""


class NoSentencesError(InputError):
    """The text has no words to analyse (only punctuation, digits or symbols)."""


class InputFileNotFoundError(InputError):
    """A file named on the command line does not exist or cannot be read."""


class InvalidMetadataError(InputError):
    """A title, outlet or date given with an article is not valid."""


class InvalidInputLineError(InputError):
    """A line of JSONL input is not a JSON object of the documented form."""


class GoldSetError(AnalysisError):
    """An evaluation's gold data is malformed or does not match the files it names."""


class SpanError(InputError):
    """A character span (start, end) is empty, blank or outside its text."""


class ModelNotInstalledError(AnalysisError):
    """A model package is missing; the message names the pip command that installs it."""


class ModelMismatchError(AnalysisError):
    """A shipped adapter does not match the installed base model (hash or version differ)."""


class StoreError(AnalysisError):
    """Base of errors of the analysis store."""


class AnalysisNotFoundError(StoreError):
    """A share link or id names no stored analysis."""


class InvalidAnalysisIdError(StoreError):
    """A share link's id is not of the form the app makes."""


class CorrectionError(StoreError):
    """An analyst's correction names an unknown actor or country, or merges an actor into itself."""


class AccessDeniedError(AnalysisError):
    """The signed-in user is not on the list of who may view this Stance Atlas."""


class StoreUnavailableError(StoreError):
    """The store cannot be opened or written (read-only, full, unreachable server)."""



class InvalidStatementError(InputError):
    """A statement given to the stance model has a field that is not text."""


class InvalidSettingError(AnalysisError):
    """An environment variable or secret holds a value the setting cannot take."""


class CorpusNotFoundError(AnalysisError):
    """A training or evaluation corpus is not where the command looks (the shared data folder)."""
