import json

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AccountStatementImportSheetMapping(models.Model):
    """A saved CSV/XLSX column mapping, proposed again for files with the same header."""

    _name = "account.statement.import.sheet.mapping"
    _description = "Bank Statement Sheet Mapping"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    journal_id = fields.Many2one(
        "account.journal",
        domain="[('type', 'in', ('bank', 'cash', 'credit')), ('company_id', '=', company_id)]",
        check_company=True,
        help="Propose this mapping first for files imported into this journal.",
    )
    header_signature = fields.Char(
        index=True,
        help="Normalised header of the files this mapping was made for; a file with the "
        "same header gets this mapping proposed automatically.",
    )
    mapping = fields.Json(
        required=True, help="Column roles and formatting options (see parsers/sheet.py)."
    )
    mapping_text = fields.Text(
        compute="_compute_mapping_text", string="Mapping (JSON)", readonly=True
    )

    @api.depends("mapping")
    def _compute_mapping_text(self):
        for record in self:
            record.mapping_text = json.dumps(record.mapping or {}, indent=2, sort_keys=True)

    @api.constrains("mapping")
    def _check_mapping(self):
        for record in self:
            if not isinstance(record.mapping, dict):
                raise ValidationError(
                    self.env._("The mapping %(name)s must be a JSON object.", name=record.name)
                )
