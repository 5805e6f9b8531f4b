"""The carta de cobranza attached to the arrears e-mail (step ``cobranza``, +30 days late): a PDF issued by
``portfolio.pdfs`` like every other document (the «Vencido» declarations of the company, each month's amount to
the cent, a verification code and QR code, recorded in ``issued_documents`` and audited).

One letter per company and run: the company's contact and each of its users receive the same document (one
code), issued in the transaction that leases their e-mails, so a letter is recorded only with the e-mails that
carry it.
"""
from __future__ import annotations

import datetime as dt

from portfolio.notifications.vocab import STEP_LETTER

PDF = "application/pdf"
Attachment = tuple[str, str, bytes]


class LetterCache:
    """Letters issued during one ``notify run``, by company."""

    def __init__(self, *, verify_base: str, actor, today: dt.date):
        self.verify_base, self.actor, self.today = verify_base, actor, today
        self.by_company: dict[int, Attachment] = {}

    def attachments_for(self, notice) -> tuple[Attachment, ...]:
        """The attachments of ``notice``'s e-mail: the company's carta de cobranza for the ``cobranza`` step."""
        if notice.step != STEP_LETTER or notice.company_id is None:
            return ()
        if notice.company_id not in self.by_company:
            from portfolio.pdfs import services
            from portfolio.pdfs.vocab import DocumentKind

            issued = services.issue(kind=DocumentKind.CARTA_COBRANZA, params={"company_id": notice.company_id},
                                    verify_base=self.verify_base, actor=self.actor, today=self.today)
            self.by_company[notice.company_id] = (issued.filename, PDF, issued.pdf)
        return (self.by_company[notice.company_id],)
