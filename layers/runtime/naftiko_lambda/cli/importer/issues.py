"""What the importer reports: one fatal error (bad input) and the warnings of a conversion.

``OpenApiError`` belongs to the tree of ``naftiko_lambda/errors.py`` (a NaftikoError, beside
SpecError); it lives here because nothing but the importer raises it, and the Lambda handlers
never import this package.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import NaftikoError


class OpenApiError(NaftikoError):
    """SOURCE cannot be imported: not OpenAPI 3, an unresolvable ``$ref``, no operations, ...

    ``pointer`` is the JSON pointer of the construct at fault ("" for the whole document);
    ``file`` the document it is in (SOURCE or a file it references).
    """

    def __init__(self, file: str, pointer: str, message: str) -> None:
        self.file = file
        self.pointer = pointer
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer}: {self.message}" if self.pointer else f"{self.file}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """A construct of the document the capability does not carry (or carries differently).

    ``pointer`` is a JSON pointer into SOURCE, or ``other.yaml#/pointer`` for a referenced file.
    """

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"
