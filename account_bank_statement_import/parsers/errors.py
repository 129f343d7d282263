"""Exceptions raised by the statement file parsers, and their translatable texts.

Parsers never raise anything else on bad input: the Odoo layer turns a
:class:`ParseError` into a translated ``UserError`` and every other exception
into a bug report.

The parsers do not import Odoo, yet what they tell the user must be translatable.
Every message, location and detection warning is therefore built with :func:`_lt`
on a literal template with named placeholders::

    raise ParseError(
        _lt("invalid date %(value)r (expected format %(format)s)", value=text, format=fmt),
        where=_lt("line %(line)s", line=number),
    )

:func:`_lt` returns a :class:`Text`: a ``str`` holding the English text (so the
command line, the JSON output and every ``==``/``in`` test read it as before)
that also keeps ``template`` and ``params``. Odoo's translation export extracts
the literal first argument of ``_lt`` calls (babel keyword ``_lt``) as a code
term of the addon; the Odoo layer translates with
``env._(text.template, **params)``, translating the params that are themselves
:class:`Text` first (see :func:`translate_text`). Data (values read from the
file, element paths, column names) goes into params, never into templates.
"""


class Text(str):
    """English text that remembers its translatable template and parameters.

    ``str(text)`` is ``template % params`` (the template alone when it has no
    params, so a param-less template must not contain ``%``).
    """

    template: str
    params: dict

    def __new__(cls, template, params=None):
        params = dict(params or {})
        self = super().__new__(cls, template % params if params else template)
        self.template = template
        self.params = params
        return self

    def __reduce__(self):
        return (Text, (self.template, self.params))

    def to_json(self):
        """A JSON-able dict (``text``, ``template``, ``params``) that :meth:`from_json` reads."""
        return {
            "text": str(self),
            "template": self.template,
            "params": {key: _param_to_json(value) for key, value in self.params.items()},
        }

    @classmethod
    def from_json(cls, value):
        """Read back :meth:`to_json`; a plain string (older data) stays a plain string."""
        if isinstance(value, dict) and isinstance(value.get("template"), str):
            params = value.get("params") or {}
            try:
                return cls(
                    value["template"],
                    {key: cls.from_json(param) for key, param in params.items()},
                )
            except (TypeError, ValueError, KeyError):
                return str(value.get("text") or value["template"])
        if isinstance(value, dict):
            return str(value.get("text", ""))
        return value


def _param_to_json(value):
    if isinstance(value, Text):
        return value.to_json()
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)  # %s of a str equals %s of the value; templates use %r on str only


def _lt(template, **params):
    """Mark ``template`` (a literal) translatable and fill its named placeholders.

    The name is babel's ``_lt`` keyword, which Odoo's translation export extracts;
    nothing is translated here (the parsers know no language): see :class:`Text`.
    """
    return Text(template, params)


def translate_text(value, translate):
    """Translate a :class:`Text` with ``translate(template, **params)`` (e.g. ``env._``).

    Params that are :class:`Text` are translated first; a plain string is returned as
    it is (data, or text from a parser that predates templates).
    """
    if not isinstance(value, Text):
        return value
    params = {key: translate_text(param, translate) for key, param in value.params.items()}
    if not params:
        return translate(value.template)
    return translate(value.template, **params)


class ParseError(ValueError):
    """The file cannot be read as a bank statement of the given format.

    ``message`` and ``where`` are :class:`Text` (built with :func:`_lt`): they
    compare equal to their English text, and their ``template``/``params`` give
    what to translate. ``where`` says where
    the problem is, in the file's own terms: ``"line 12"``, ``"record 21 at line 4"``,
    ``"element Stmt[1]/Ntry[3]/Amt"``, ``"row 7, column 'Amount'"``. ``filename`` is
    filled in by whoever knows it (the wizard or the CLI); parsers work on bytes and
    usually do not.
    """

    def __init__(self, message, where=None, filename=None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.filename = filename

    def text(self):
        """The whole error (location and message, no file name) as one :class:`Text`."""
        if not self.where:
            return self.message if isinstance(self.message, Text) else Text(str(self.message))
        return _lt("%(where)s: %(message)s", where=self.where, message=self.message)

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
