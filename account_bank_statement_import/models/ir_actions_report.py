from odoo import models

STATEMENT_REPORT = "account.report_statement"


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        """Printing a bank statement attaches the PDF to it when it has no attachment yet
        (one document per statement, so a statement printed with others still gets its own)."""
        result = super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        report = self._get_report(report_ref)
        if (
            report.report_name != STATEMENT_REPORT
            or not res_ids
            or self.env.context.get("bank_matching_attaching")
        ):
            return result
        ids = [res_ids] if isinstance(res_ids, int) else list(res_ids)
        statements = self.env["account.bank.statement"].browse(ids).exists()
        missing = statements.filtered(lambda s: not s.attachment_ids)
        if len(statements) == 1:
            missing._bank_matching_attach_report(*result)
        else:
            for stmt in missing:
                single = self.with_context(bank_matching_attaching=True)._render_qweb_pdf(
                    report_ref, res_ids=stmt.ids, data=data
                )
                stmt._bank_matching_attach_report(*single)
        return result
