"""The statement file import wizard: files in, statement lines out, in one transaction."""

import hashlib
import json

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import html2plaintext

from ..models.account_bank_statement_line_builder import normalize_account_number
from ..parsers import detect_format, parse_file
from ..parsers import sheet as sheet_parser
from ..parsers.errors import ParseError, Text, translate_text

SHEET_FORMATS = ("csv", "xlsx")
# Mapping fields the user edits in the mapping step: field name -> SheetMapping key.
ROLE_FIELDS = {
    "map_date": "date", "map_amount": "amount", "map_debit": "debit",
    "map_credit": "credit", "map_dc_indicator": "dc_indicator",
    "map_partner_name": "partner_name", "map_account_number": "account_number",
    "map_ref": "ref", "map_unique_id": "unique_id", "map_balance": "balance",
    "map_currency": "currency",
}
OPTION_FIELDS = {
    "map_encoding": "encoding", "map_delimiter": "delimiter",
    "map_decimal_sep": "decimal_sep", "map_thousands_sep": "thousands_sep",
    "map_date_format": "date_format", "map_header_rows": "header_rows",
    "map_amount_mode": "amount_mode",
}
# Minimum length of an account number compared by its tail (national forms of an IBAN).
MIN_TAIL = 6


def header_signature(header):
    """A short stable id of a sheet's header row (case and blanks ignored)."""
    text = "\x1f".join(" ".join(str(cell).split()).casefold() for cell in header)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def accounts_match(file_number, journal_number):
    """Whether a file's account number designates the journal's account.

    Compared without spaces and case; a national form (BBAN, account number) matches
    the IBAN it is the tail of, e.g. ``0417164300`` and ``NL91ABNA0417164300``.
    """
    file_number = normalize_account_number(file_number)
    journal_number = normalize_account_number(journal_number)
    if not file_number or not journal_number:
        return False
    if file_number == journal_number:
        return True
    shorter, longer = sorted((file_number, journal_number), key=len)
    return len(shorter) >= MIN_TAIL and longer.endswith(shorter.lstrip("0") or shorter)


class AccountStatementImport(models.TransientModel):
    """Import bank statement files (CAMT, OFX, QIF, CODA, MT940, CSV, XLSX, ZIP)."""

    _name = "account.statement.import"
    _description = "Import Bank Statement Files"

    state = fields.Selection(
        [("upload", "Upload"), ("mapping", "Column mapping"), ("journal", "Journal")],
        default="upload", required=True,
    )
    journal_id = fields.Many2one(
        "account.journal", string="Journal",
        domain="[('type', 'in', ('bank', 'credit', 'cash')), "
               "('company_id', 'in', allowed_company_ids)]",
        help="Leave empty to choose the journal from the account number in the file.",
    )
    attachment_ids = fields.Many2many(
        "ir.attachment", string="Files", required=True,
        help="Statement files; ZIP archives of statement files are unpacked.",
    )
    message = fields.Html(readonly=True, sanitize=True)
    file_account_number = fields.Char(readonly=True)
    file_currency = fields.Char(readonly=True)
    can_set_account_number = fields.Boolean(readonly=True)
    # -- CSV/XLSX mapping step
    sheet_attachment_id = fields.Many2one("ir.attachment", readonly=True)
    # One layout per header signature of the upload's sheet files: a list of
    # {"signature", "attachment_ids", "names", "mapping", "mapping_id", "mapping_name",
    #  "message"}; the fields below show (and edit) the layout at ``layout_index``.
    layout_json = fields.Json()
    layout_index = fields.Integer(readonly=True)
    layout_count = fields.Integer(compute="_compute_layout_label")
    layout_label = fields.Char(compute="_compute_layout_label", string="Layout")
    mapping_id = fields.Many2one(
        "account.statement.import.sheet.mapping", string="Saved mapping",
        domain="[('company_id', 'in', allowed_company_ids)]",
    )
    mapping_json = fields.Json()
    preview_html = fields.Html(readonly=True, sanitize=True)
    test_result = fields.Text(readonly=True)
    mapping_name = fields.Char(string="Save as")
    map_date = fields.Char("Date column")
    map_amount = fields.Char("Amount column")
    map_debit = fields.Char("Debit column")
    map_credit = fields.Char("Credit column")
    map_dc_indicator = fields.Char("Debit/credit indicator column")
    map_label = fields.Char("Label column(s)", help="Several columns: separate with |")
    map_partner_name = fields.Char("Counterparty name column")
    map_account_number = fields.Char("Counterparty account column")
    map_ref = fields.Char("Reference column")
    map_unique_id = fields.Char("Bank id column")
    map_balance = fields.Char("Balance column")
    map_currency = fields.Char("Currency column")
    map_encoding = fields.Char("Encoding")
    map_delimiter = fields.Char("Delimiter", size=1)
    map_decimal_sep = fields.Selection([(".", "."), (",", ",")], "Decimal separator")
    map_thousands_sep = fields.Char("Thousands separator")
    map_date_format = fields.Char("Date format", help="strftime format, e.g. %d/%m/%Y")
    map_header_rows = fields.Integer("Rows before the header")
    map_amount_mode = fields.Selection(
        [("signed", "One signed amount"), ("debit_credit", "Debit and credit columns"),
         ("amount_dc", "Amount and debit/credit indicator")], "Amounts")

    @api.depends("layout_json", "layout_index")
    def _compute_layout_label(self):
        for wizard in self:
            layouts = wizard.layout_json or []
            wizard.layout_count = len(layouts)
            if 0 <= wizard.layout_index < len(layouts):
                wizard.layout_label = self.env._(
                    "Layout %(index)s of %(count)s: %(files)s",
                    index=wizard.layout_index + 1, count=len(layouts),
                    files=", ".join(layouts[wizard.layout_index]["names"]))
            else:
                wizard.layout_label = False

    @api.model
    def default_get(self, fields_list):
        """Take the journal from the context (journal dashboard, journal form)."""
        defaults = super().default_get(fields_list)
        context = self.env.context
        journal_id = context.get("default_journal_id") or (
            context.get("active_model") == "account.journal" and context.get("active_id"))
        if journal_id and "journal_id" in fields_list:
            defaults["journal_id"] = journal_id
        return defaults

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_import(self):
        """Import every file; end on the imported lines, or ask what is missing."""
        self.ensure_one()
        # the mapping as the user left it on the screen (not only as last tested)
        self._store_mapping_fields()
        files = [(name, data, attachment, self._detect(name, data))
                 for name, data, attachment in self._read_files()]
        sheets = [(name, data, attachment) for name, data, attachment, fmt in files
                  if fmt in SHEET_FORMATS]
        mappings = self._sheet_mappings(sheets) if sheets else {}
        if mappings is None:
            return self._open_self()
        parsed = []
        for name, data, attachment, fmt in files:
            if fmt in SHEET_FORMATS:
                statements = self._parse(name, data, fmt, mapping=mappings[attachment.id])
            else:
                statements = self._parse(name, data, fmt)
            parsed.append((name, fmt, attachment, statements))
        plan = []
        for name, fmt, attachment, statements in parsed:
            for statement in statements:
                journal = self._find_journal(name, statement)
                if not journal:
                    return self._open_self()
                plan.append((name, fmt, attachment, statement, journal))
        return self._run(plan)

    def action_test(self):
        """Run the whole import in a savepoint, roll it back, show what it would do."""
        self.ensure_one()
        self._store_mapping_fields()
        try:
            with self.env.cr.savepoint() as savepoint:
                result = self.action_import() or {}
                outcome = (result.get("params") or {}).get("message") or \
                    html2plaintext(self.message or "")
                savepoint.close(rollback=True)
        except (UserError, ValidationError) as error:
            outcome = self.env._("Error: %(error)s", error=error.args[0])
        self.env.invalidate_all()
        self.test_result = self.env._("Test run (nothing was saved): %(outcome)s",
                                      outcome=outcome)
        return self._open_self()

    def action_save_mapping(self):
        """Store the current column mapping for this journal and header."""
        self.ensure_one()
        self._store_mapping_fields()
        name, data, _attachment = self._sheet_file()
        header = sheet_parser.preview(data, self.mapping_json, rows=0)["header"]
        values = {
            "name": self.mapping_name or name,
            "header_signature": header_signature(header),
            "mapping": self.mapping_json,
            "journal_id": self.journal_id.id,
            "company_id": (self.journal_id.company_id or self.env.company).id,
        }
        if self.mapping_id:
            self.mapping_id.write(values)
        else:
            self.mapping_id = self.env["account.statement.import.sheet.mapping"].create(
                values)
        self._update_layout(mapping_id=self.mapping_id.id, mapping_name=self.mapping_id.name)
        self.message = escape(self.env._("Mapping %(name)s saved.",
                                          name=self.mapping_id.name))
        return self._open_self()

    def action_next_layout(self):
        """Show the next column layout of the upload (its mapping kept as edited)."""
        self.ensure_one()
        return self._switch_layout(1)

    def action_previous_layout(self):
        """Show the previous column layout of the upload (its mapping kept as edited)."""
        self.ensure_one()
        return self._switch_layout(-1)

    def _switch_layout(self, step):
        self._store_mapping_fields()
        index = self.layout_index + step
        if 0 <= index < len(self.layout_json or []):
            self._show_layout(index)
        return self._open_self()

    def action_set_account_number(self):
        """Give the chosen journal the account number found in the file, then import."""
        self.ensure_one()
        if not self.journal_id:
            raise UserError(self.env._("Choose the journal first."))
        if self.journal_id.bank_account_id:
            raise UserError(self.env._(
                "The journal %(journal)s already has the account number %(number)s.",
                journal=self.journal_id.display_name,
                number=self.journal_id.bank_acc_number))
        self.journal_id.bank_acc_number = self.file_account_number
        self.state = "upload"
        return self.action_import()

    def action_create_journal(self):
        """Create a bank journal for the file's account number, then import."""
        self.ensure_one()
        company = self.journal_id.company_id or self.env.company
        currency = self.env["res.currency"].search(
            [("name", "=", self.file_currency)], limit=1) if self.file_currency else None
        values = {
            "name": self.file_account_number, "type": "bank",
            "bank_acc_number": self.file_account_number, "company_id": company.id,
            "bank_statements_source": "file_import",
        }
        if currency and currency != company.currency_id:
            values["currency_id"] = currency.id
        self.journal_id = self.env["account.journal"].create(values)
        self.state = "upload"
        return self.action_import()

    @api.onchange("mapping_id")
    def _onchange_mapping_id(self):
        if self.mapping_id:
            self._load_mapping(self.mapping_id.mapping)

    # ------------------------------------------------------------------
    # Files and formats
    # ------------------------------------------------------------------

    def _read_files(self):
        """``[(name, bytes, attachment)]``; ZIP archives are left to the parsers."""
        if not self.attachment_ids:
            raise UserError(self.env._("Select at least one statement file."))
        return [(att.name or "file", att.raw or b"", att) for att in self.attachment_ids]

    def _detect(self, name, data):
        try:
            return detect_format(data, filename=name)
        except ParseError as error:
            raise UserError(self._parse_error_message(name, error)) from error

    def _parse(self, name, data, fmt, **options):
        try:
            if fmt in SHEET_FORMATS:
                return sheet_parser.parse(data, filename=name, **options)
            return parse_file(data, filename=name, format=fmt)
        except ParseError as error:
            raise UserError(self._parse_error_message(name, error)) from error

    def _parse_error_message(self, name, error):
        """The user's-language sentence for a :class:`ParseError`: file, place and problem."""
        where = self._parser_text(error.where) if error.where else ""
        return self.env._(
            "The file %(file)s cannot be imported%(where)s: %(message)s",
            file=error.filename or name,
            where=f" ({where})" if where else "",
            message=self._parser_text(error.message),
        )

    def _parser_text(self, text):
        """Translate a parser text (message, location, detection warning) for the user.

        The parsers build them with ``_lt(template, **params)`` (``parsers/errors.py``);
        the templates are this addon's code terms (``i18n/*.po``). A warning as saved in a
        mapping (``to_dict()``: a dict) is read back first; plain strings stay as they are.
        """
        return translate_text(Text.from_json(text), self._translate_parser_term)

    def _translate_parser_term(self, template, **params):
        # Called here, not from parsers/errors.py, so env._ looks the term up in
        # this addon's translations whatever module the frame inspection finds.
        return self.env._(template, **params)

    # ------------------------------------------------------------------
    # CSV / XLSX mapping
    # ------------------------------------------------------------------

    def _sheet_file(self):
        attachment = self.sheet_attachment_id
        return attachment.name, attachment.raw, attachment

    def _sheet_mappings(self, sheets):
        """``{attachment id: mapping}`` for the sheet files, or ``None`` to show the mapping step.

        The files are grouped by header signature, one layout each. A layout keeps the
        mapping it has (as edited in the mapping step); a new layout gets the saved mapping
        of its header (this journal's first), else the detected mapping, which the user
        checks in the mapping step before anything is imported.
        """
        current = {attachment.id for _name, _data, attachment in sheets}
        layouts = []
        for layout in json.loads(json.dumps(self.layout_json or [])):
            kept = [(att_id, name) for att_id, name in
                    zip(layout["attachment_ids"], layout["names"], strict=True)
                    if att_id in current]
            if kept:
                layout["attachment_ids"] = [att_id for att_id, _name in kept]
                layout["names"] = [name for _att_id, name in kept]
                layouts.append(layout)
        known = {att_id for layout in layouts for att_id in layout["attachment_ids"]}
        to_review = []
        for name, data, attachment in sheets:
            if attachment.id in known:
                continue
            detected, signature = self._detect_sheet(name, data)
            layout = next((lay for lay in layouts if lay["signature"] == signature), None)
            if layout is None:
                saved = self._saved_mapping(signature)
                layout = {
                    "signature": signature, "attachment_ids": [], "names": [],
                    "mapping": saved.mapping if saved else detected,
                    "mapping_id": saved.id, "mapping_name": saved.name or name,
                    # what detection was unsure about (e.g. day or month first)
                    "message": "" if saved else "\n".join(
                        self._parser_text(warning)
                        for warning in detected.get("warnings") or []),
                }
                layouts.append(layout)
                if not saved:
                    to_review.append(layout)
            layout["attachment_ids"].append(attachment.id)
            layout["names"].append(name)
        if layouts != (self.layout_json or []):
            self.layout_json = layouts
        if to_review:
            self.state = "mapping"
            self._show_layout(layouts.index(to_review[0]))
            return None
        if self.state == "mapping":
            # files removed from the upload may have moved the layout being shown
            shown = next((index for index, layout in enumerate(layouts)
                          if self.sheet_attachment_id.id in layout["attachment_ids"]), None)
            if shown is None:
                self._show_layout(0)
            elif shown != self.layout_index:
                self.layout_index = shown
        return {att_id: layout["mapping"]
                for layout in layouts for att_id in layout["attachment_ids"]}

    def _detect_sheet(self, name, data):
        """The detected mapping of a sheet file and its header signature."""
        try:
            detected = sheet_parser.detect(data, filename=name).to_dict()
            header = sheet_parser.preview(data, detected, rows=0)["header"]
        except ParseError as error:
            raise UserError(self._parse_error_message(name, error)) from error
        return detected, header_signature(header)

    def _saved_mapping(self, signature):
        """The saved mapping for a header signature: this journal's first, then any."""
        saved = self.env["account.statement.import.sheet.mapping"].search(
            [("header_signature", "=", signature),
             ("journal_id", "in", [False, self.journal_id.id])],
            order="journal_id, sequence, id")
        return saved.sorted(lambda m: m.journal_id != self.journal_id)[:1]

    def _show_layout(self, index):
        """Load layout ``index`` into the mapping step's fields."""
        layout = self.layout_json[index]
        self.write({
            "layout_index": index,
            "sheet_attachment_id": layout["attachment_ids"][0],
            "mapping_id": layout["mapping_id"] or False,
            "mapping_name": layout["mapping_name"],
            "message": escape(layout["message"]) if layout["message"] else False,
        })
        self._load_mapping(layout["mapping"])

    def _update_layout(self, **values):
        """Write ``values`` into the layout being shown."""
        layouts = json.loads(json.dumps(self.layout_json or []))
        if 0 <= self.layout_index < len(layouts):
            layouts[self.layout_index].update(values)
            self.layout_json = layouts

    def _load_mapping(self, mapping):
        values = {"mapping_json": mapping}
        for field_name, key in ROLE_FIELDS.items():
            value = mapping.get(key)
            values[field_name] = "" if value is None else str(value)
        values["map_label"] = " | ".join(str(v) for v in mapping.get("label") or [])
        for field_name, key in OPTION_FIELDS.items():
            values[field_name] = mapping.get(key)
        self.write(values)
        self._update_preview()

    @api.onchange(*OPTION_FIELDS)
    def _onchange_sheet_options(self):
        """Show the preview as split with the formatting options being edited."""
        if self.state != "mapping" or not self.sheet_attachment_id:
            return
        try:
            mapping = self._mapping_from_fields()
        except UserError as error:
            self.preview_html = escape(error.args[0])
            return
        self._update_preview(mapping)

    def _store_mapping_fields(self):
        """Copy the edited fields back into ``mapping_json`` (validated by the parser)."""
        if self.state != "mapping":
            return
        self.mapping_json = self._mapping_from_fields()
        self._update_layout(mapping=self.mapping_json, mapping_id=self.mapping_id.id,
                            mapping_name=self.mapping_name)
        self._update_preview()

    def _mapping_from_fields(self):
        """The mapping as edited on the screen; UserError when the parser refuses it."""
        mapping = dict(self.mapping_json or {})
        for field_name, key in ROLE_FIELDS.items():
            value = (self[field_name] or "").strip()
            mapping[key] = (int(value) if value.isdigit() else value) or None
        mapping["label"] = [part.strip() for part in (self.map_label or "").split("|")
                            if part.strip()]
        for field_name, key in OPTION_FIELDS.items():
            if self[field_name] not in (False, None):
                mapping[key] = self[field_name]
        if not mapping.get("thousands_sep"):
            mapping["thousands_sep"] = None
        try:
            sheet_parser.SheetMapping.from_dict(mapping)
        except ParseError as error:
            raise UserError(self.env._("The column mapping is not usable: %(error)s",
                                       error=self._parser_text(error.message))) from error
        return mapping

    def _update_preview(self, mapping=None):
        name, data, _attachment = self._sheet_file()
        try:
            table = sheet_parser.preview(data, mapping or self.mapping_json, rows=8)
        except ParseError as error:
            self.preview_html = escape(self._parse_error_message(name, error))
            return
        head = Markup("").join(Markup("<th>%s</th>") % cell for cell in table["header"])
        body = Markup("").join(
            Markup("<tr>%s</tr>") % Markup("").join(Markup("<td>%s</td>") % c for c in row)
            for row in table["rows"])
        self.preview_html = Markup(
            '<table class="table table-sm table-bordered"><thead><tr>%s</tr></thead>'
            "<tbody>%s</tbody></table>") % (head, body)

    # ------------------------------------------------------------------
    # Journals
    # ------------------------------------------------------------------

    def _find_journal(self, name, statement):
        """The journal for ``statement``, or ``None`` after preparing the journal step."""
        number = statement.account_number
        currency = (statement.currency or "").upper()
        chosen = self.journal_id
        if chosen:
            chosen_number = chosen.bank_acc_number
            if not number or accounts_match(number, chosen_number):
                return chosen
            if chosen_number:
                raise UserError(self.env._(
                    "The file %(file)s is a statement of the account %(number)s, but the "
                    "journal %(journal)s is for the account %(journal_number)s. Import it "
                    "from the right journal, or leave the journal empty to find it from "
                    "the account number.",
                    file=name, number=number, journal=chosen.display_name,
                    journal_number=chosen_number))
        candidates = self.env["account.journal"].search([
            ("type", "in", ("bank", "credit", "cash")),
            ("company_id", "in", self.env.companies.ids),
            ("bank_account_id", "!=", False),
        ])
        matches = candidates.filtered(
            lambda journal: accounts_match(number, journal.bank_acc_number))
        if currency and len(matches) > 1:
            matches = matches.filtered(lambda journal: (
                journal.currency_id or journal.company_id.currency_id).name == currency)
        if len(matches) == 1:
            return matches
        if len(matches) > 1:
            raise UserError(self.env._(
                "Several journals hold the account %(number)s (%(journals)s): start the "
                "import from the right journal.", number=number,
                journals=", ".join(matches.mapped("display_name"))))
        if not number:
            raise UserError(self.env._(
                "The file %(file)s does not say which account it is for: start the import "
                "from the journal it belongs to.", file=name))
        self.write({
            "state": "journal",
            "file_account_number": number,
            "file_currency": currency or False,
            "can_set_account_number": bool(chosen) and not chosen.bank_account_id,
            "message": escape(self.env._(
                "No journal holds the account %(number)s of the file %(file)s. Set this "
                "account number on the journal, or create a bank journal for it.",
                number=number, file=name)),
        })
        return None

    # ------------------------------------------------------------------
    # Import
    # ------------------------------------------------------------------

    def _run(self, plan):
        builder = self.env["account.bank.statement.line.builder"]
        lines = self.env["account.bank.statement.line"]
        statements = self.env["account.bank.statement"]
        skipped = 0
        for name, fmt, attachment, statement, journal in plan:
            try:
                result = builder._import_statements(
                    journal, [statement], attachments=attachment, source=fmt)
            except AccessError:
                raise
            except (UserError, ValidationError) as error:
                raise UserError(self.env._(
                    "The file %(file)s, statement %(statement)s, cannot be imported: "
                    "%(error)s", file=name, statement=statement.name or "-",
                    error=error.args[0])) from error
            lines |= result["lines"]
            statements |= result["statements"]
            skipped += result["skipped"]
        return self._result_action(lines, statements, skipped)

    def _result_action(self, lines, statements, skipped):
        if not lines:
            message = self.env._(
                "Nothing new to import: the %(count)s transaction(s) of the file(s) were "
                "already imported.", count=skipped) if skipped else self.env._(
                "The file(s) hold no transaction.")
            return {
                "type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": self.env._("Statement import"), "message": message,
                           "type": "warning", "sticky": False,
                           "next": {"type": "ir.actions.act_window_close"}},
            }
        message = self.env._(
            "%(count)s transaction(s) imported, %(skipped)s already imported skipped, in "
            "%(statements)s.", count=len(lines), skipped=skipped,
            statements=", ".join(statements.mapped("name")) or "-")
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {
                "title": self.env._("Statement import"), "message": message,
                "type": "success", "sticky": False,
                "next": {
                    "type": "ir.actions.act_window",
                    "name": self.env._("Imported transactions"),
                    "res_model": "account.bank.statement.line",
                    "views": [[False, "list"], [False, "form"]],
                    "domain": [("id", "in", lines.ids)],
                    "context": {"create": False},
                },
            },
        }

    def _open_self(self):
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
            "views": [[False, "form"]], "target": "new",
            "name": self.env._("Import statements"),
        }
