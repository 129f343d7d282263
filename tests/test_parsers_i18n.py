"""Parser texts are translatable: templates marked with ``_lt``, data in params.

The guard below reads the parser sources with ``ast``: a ParseError (or a
location, a detection warning, a ``_DateParser`` ValueError) built from an
f-string, a ``%`` expression or an unmarked literal fails it, so a message added
later cannot slip past the translation export.
"""

import ast
import json
import re
from pathlib import Path

import pytest

from account_bank_statement_import.parsers import ParseError, parse_file
from account_bank_statement_import.parsers import sheet as sheet_parser
from account_bank_statement_import.parsers.errors import Text, _lt, translate_text

PARSERS = Path(__file__).resolve().parents[1] / "account_bank_statement_import" / "parsers"
ERRORS = {"ParseError", "UnknownFormatError", "FileTooLargeError"}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0 +-]*\d*(?:\.\d+)?([a-zA-Z%])")
# Names a ParseError may take its message from: each is itself an _lt() text.
PASSED_THROUGH = {
    ("sheet.py", "message"),  # _Parser._error(rownum, index, message): callers checked below
    ("sheet.py", "XLS_MESSAGE"),
    ("sheet_detect.py", "XLS_MESSAGE"),
    ("xlsx.py", "sheet.XLS_MESSAGE"),
}


def _name(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_marked(node):
    return (
        isinstance(node, ast.Call)
        and _name(node.func) == "_lt"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def _problems():
    """``[(file, line, what)]`` for every untranslatable text in the parser sources."""
    problems = []
    for path in sorted(PARSERS.glob("*.py")):
        problems += _file_problems(path)
    return problems


def _where_positions(tree):
    """``{function name: index of its where parameter}`` for the functions of a module."""
    positions = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [arg.arg for arg in node.args.posonlyargs + node.args.args]
            if "where" in names:
                offset = 1 if names[0] in ("self", "cls") else 0
                positions[node.name] = names.index("where") - offset
    return positions


def _marked_helpers(tree):
    """Names of the module's functions that only return a marked text
    (``return _lt("...", ...)`` after a docstring): calls to them are marked."""
    helpers = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            if (
                len(body) == 1
                and isinstance(body[0], ast.Return)
                and body[0].value is not None
                and _is_marked(body[0].value)
            ):
                helpers.add(node.name)
    return helpers


def _file_problems(path):
    problems = []
    source = path.read_text()
    tree = ast.parse(source)
    where_positions = _where_positions(tree)
    marked_helpers = _marked_helpers(tree)

    def bad(node, what):
        text = ast.get_source_segment(source, node) or ""
        problems.append((path.name, node.lineno, f"{what}: {text[:60]}"))

    def check_message(node, what):
        if _is_marked(node):
            return
        segment = ast.get_source_segment(source, node)
        if isinstance(node, ast.Name | ast.Attribute) and (path.name, segment) in (PASSED_THROUGH):
            return
        bad(node, what)

    def check_where(node):
        if isinstance(node, ast.IfExp):
            check_where(node.body)
            check_where(node.orelse)
        elif isinstance(node, ast.Constant) and node.value is None:
            pass
        elif isinstance(node, ast.Name | ast.Subscript) or _is_marked(node):
            pass  # a variable (or one kept in a record): checked where it is built
        elif isinstance(node, ast.Call) and _name(node.func) in marked_helpers:
            pass  # e.g. qif._at(line): returns _lt("line %(line)s", ...)
        elif path.name == "errors.py" and ast.get_source_segment(source, node) == "self.where":
            pass  # ParseError.text() passes its own location on
        else:
            bad(node, "location not marked with _lt")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name not in ERRORS:  # where=... of helpers (parse_decimal, parse_date...)
                for keyword in node.keywords:
                    if keyword.arg == "where":
                        check_where(keyword.value)
                # ... and positional: _parse_date(text, where) of this module
                position = where_positions.get(name)
                if position is not None and len(node.args) > position:
                    check_where(node.args[position])
            if name in ERRORS:
                if not node.args:
                    bad(node, "ParseError without message")
                    continue
                check_message(node.args[0], "ParseError message not marked with _lt")
                wheres = node.args[1:2] + [k.value for k in node.keywords if k.arg == "where"]
                for where in wheres:
                    check_where(where)
            elif name == "_error" and len(node.args) == 3:
                check_message(node.args[2], "row error message not marked with _lt")
            elif (
                name == "append"
                and path.name == "sheet_detect.py"
                and _name(node.func.value) == "warnings"
            ):
                check_message(node.args[0], "detection warning not marked with _lt")
            elif name == "ValueError" and path.name == "sheet.py" and node.args:
                check_message(node.args[0], "value error not marked with _lt")
            elif name == "_lt":
                if not _is_marked(node) or len(node.args) != 1:
                    bad(node, "_lt needs one literal template and named params")
                    continue
                template = node.args[0].value
                found = PLACEHOLDER.findall(template)
                names = {key for key, kind in found if kind != "%"}
                if any(not key and kind != "%" for key, kind in found):
                    bad(node, "positional placeholder (use %(name)s)")
                given = {k.arg for k in node.keywords}
                if None in given or names != given:
                    bad(node, f"placeholders {sorted(names)} != params {sorted(given)}")
                if not given and "%" in template:
                    bad(node, "a template without params must not contain %")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                # ``where`` variables and ``error.where``; ``state.where`` in camt.py
                # is an element path (data), put into "element %(path)s" later.
                is_where = (isinstance(target, ast.Name) and target.id == "where") or (
                    isinstance(target, ast.Attribute)
                    and target.attr == "where"
                    and _name(target.value) == "error"
                )
                if is_where and node.value is not None:
                    value = node.value
                    if isinstance(value, ast.JoinedStr | ast.BinOp) or (
                        isinstance(value, ast.Constant) and isinstance(value.value, str)
                    ):
                        bad(value, "location not marked with _lt")
    return problems


def test_no_untranslatable_parser_text():
    """No ParseError, location or warning built from an f-string or a bare literal."""
    assert _problems() == []


def test_guard_catches_fstrings(tmp_path, monkeypatch):
    """The guard itself fails on the patterns it is there to forbid."""
    (tmp_path / "bad.py").write_text(
        "def f(value, line, warnings):\n"
        "    warnings.append(f'odd {value}')\n"
        "    where = f'line {line}'\n"
        "    raise ParseError(f'invalid {value!r}', where=f'line {line}')\n"
        "def g():\n"
        "    raise ParseError('plain', _lt('line %(line)s'))\n"
        "def h(value):\n"
        "    raise ParseError(_lt('bad %s and %(x)s', value))\n"
    )
    monkeypatch.setattr("tests.test_parsers_i18n.PARSERS", tmp_path)
    whats = [what.split(":")[0] for _file, _line, what in _problems()]
    assert whats.count("location not marked with _lt") == 2
    assert "ParseError message not marked with _lt" in whats
    assert "_lt needs one literal template and named params" in whats
    assert any(what.startswith("placeholders") for what in whats)
    assert len(whats) == 7, whats


def test_text_keeps_template_and_english():
    text = _lt("invalid date %(value)r (expected format %(format)s)", value="31.02", format="%d")
    assert text == "invalid date '31.02' (expected format %d)"
    assert text.template == "invalid date %(value)r (expected format %(format)s)"
    assert text.params == {"value": "31.02", "format": "%d"}
    assert json.dumps(text) == json.dumps(str(text))


def test_parse_error_api():
    """str(), .message and .where read as before; templates for the Odoo layer."""
    with pytest.raises(ParseError) as info:
        parse_file(
            b"Date;Amount\n31.02.2024;12,00\n",
            filename="x.csv",
            format="csv",
            mapping={
                "date": "Date",
                "amount": "Amount",
                "delimiter": ";",
                "decimal_sep": ",",
                "date_format": "%d.%m.%Y",
            },
        )
    error = info.value
    assert str(error) == (
        "x.csv, row 2, column 'Date': '31.02.2024' is not a valid date in the format "
        "%d.%m.%Y (day is out of range for month)"
    )
    assert error.where == "row 2, column 'Date'"
    assert error.where.template == "row %(row)s, column %(column)r"
    assert error.where.params == {"row": 2, "column": "Date"}
    assert error.message.template == (
        "%(text)r is not a valid date in the format %(fmt)s (%(error)s)"
    )
    assert error.message.template % error.message.params == error.message
    assert error.text() == "row 2, column 'Date': " + error.message


def test_translate_text_translates_nested_params():
    """Params that are Text (a location inside a message, 'column 3') are translated too."""
    french = {
        "row %(row)s, column %(column)r": "ligne %(row)s, colonne %(column)r",
        "column %(number)s": "colonne %(number)s",
        "the amount is empty": "le montant est vide",
    }

    def translate(template, **params):
        return french.get(template, template) % params if params else french[template]

    where = _lt("row %(row)s, column %(column)r", row=4, column=_lt("column %(number)s", number=3))
    assert where == "row 4, column 'column 3'"
    assert translate_text(where, translate) == "ligne 4, colonne 'colonne 3'"
    assert translate_text(_lt("the amount is empty"), translate) == "le montant est vide"
    assert translate_text("plain data", translate) == "plain data"


def test_sheet_warnings_round_trip():
    """Detection warnings survive to_dict/JSON/from_dict with their templates."""
    data = (
        b"Date,Amount,Balance\n01/02/24,10.00,110.00\n03/02/24,-5.00,105.00\n"
        b"04/02/24,1.00,106.00\n"
    )
    mapping = sheet_parser.detect(data, filename="x.csv")
    assert mapping.warnings and all(isinstance(w, Text) for w in mapping.warnings)
    stored = json.loads(json.dumps(mapping.to_dict()))
    assert all(
        isinstance(w, dict) and w["text"] == str(m)
        for w, m in zip(stored["warnings"], mapping.warnings, strict=True)
    )
    again = sheet_parser.SheetMapping.from_dict(stored)
    assert again == mapping
    assert [w.template for w in again.warnings] == [w.template for w in mapping.warnings]
    assert [w.params for w in again.warnings] == [w.params for w in mapping.warnings]


def test_old_saved_mapping_with_plain_warnings_loads():
    """Mappings saved before templates hold plain strings: they load unchanged."""
    values = {"date": "Date", "amount": "Amount", "warnings": ["dates read as day first"]}
    mapping = sheet_parser.SheetMapping.from_dict(values)
    assert mapping.warnings == ["dates read as day first"]
    assert not isinstance(mapping.warnings[0], Text)
    assert mapping.to_dict()["warnings"] == ["dates read as day first"]


def _templates():
    """Every ``_lt`` template of the parser sources."""
    found = set()
    for path in PARSERS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if _is_marked(node):
                found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("name", ["fr.po", "account_bank_statement_import.pot"])
def test_translation_files_match_the_templates(name):
    """No stale parser term in i18n/ (it would never be looked up), and every
    translation keeps exactly its source's placeholders (else formatting fails)."""
    import polib  # an Odoo dependency, read here only

    catalog = polib.pofile(str(PARSERS.parent / "i18n" / name))
    templates = _templates()
    parser_terms = [
        entry for entry in catalog if any("/parsers/" in file for file, _line in entry.occurrences)
    ]
    assert parser_terms
    assert [entry.msgid for entry in parser_terms if entry.msgid not in templates] == []
    for entry in catalog:
        if entry.msgstr:
            assert sorted(PLACEHOLDER.findall(entry.msgstr)) == sorted(
                PLACEHOLDER.findall(entry.msgid)
            ), entry.msgid
    if name.endswith(".pot"):
        assert templates - {entry.msgid for entry in parser_terms} == set(), (
            "regenerate i18n/account_bank_statement_import.pot (odoo-bin i18n export)"
        )
