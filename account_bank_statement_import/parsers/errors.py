"""Exceptions raised by the statement file parsers.

Parsers never raise anything else on bad input: the Odoo layer turns a
:class:`ParseError` into a translated ``UserError`` and every other exception
into a bug report.
"""


class ParseError(ValueError):
    """The file cannot be read as a bank statement of the given format.

    ``where`` says where the problem is, in the file's own terms: ``"line 12"``,
    ``"record 21 (line 4)"``, ``"element Stmt/Ntry[3]/Amt"``, ``"row 7, column
    'Amount'"``. ``filename`` is filled in by whoever knows it (the wizard or the
    CLI); parsers work on bytes and usually do not.
    """

    def __init__(self, message, where=None, filename=None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.filename = filename

    def __str__(self):
        parts = []
        if self.filename:
            parts.append(self.filename)
        if self.where:
            parts.append(self.where)
        prefix = ", ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


class UnknownFormatError(ParseError):
    """No parser recognises the file (format sniffing found nothing)."""


class FileTooLargeError(ParseError):
    """The input is larger than the configured limit."""
