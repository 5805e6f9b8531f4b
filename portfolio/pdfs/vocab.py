"""The kinds of PDF the application issues, with their Spanish names and who may issue each."""
from __future__ import annotations

from enum import StrEnum


class DocumentKind(StrEnum):
    CONSTANCIA = "constancia_aportes"
    ESTADO_EMPRESA = "estado_cuenta_empresa"
    ESTADO_FIDEICOMISO = "estado_cuenta_fideicomiso"
    ACTA = "acta_desembolso"
    FICHA = "ficha_proyecto"
    CARTA_COBRANZA = "carta_cobranza"


KIND_LABELS: dict[str, str] = {
    DocumentKind.CONSTANCIA: "Constancia de aportes",
    DocumentKind.ESTADO_EMPRESA: "Estado de cuenta de la empresa",
    DocumentKind.ESTADO_FIDEICOMISO: "Estado de cuenta del fideicomiso",
    DocumentKind.ACTA: "Acta de decisión de desembolso",
    DocumentKind.FICHA: "Ficha del proyecto",
    DocumentKind.CARTA_COBRANZA: "Carta de cobranza",
}

# The permission (portfolio.auth.policy.PERMISSIONS) each kind needs; object scope is checked on top.
KIND_PERMISSIONS: dict[str, str] = {
    DocumentKind.CONSTANCIA: "pdfs.company",
    DocumentKind.ESTADO_EMPRESA: "pdfs.company",
    DocumentKind.ESTADO_FIDEICOMISO: "pdfs.trust",
    DocumentKind.ACTA: "pdfs.trust",
    DocumentKind.FICHA: "pdfs.project",
    # issued by `notify run` (as SYSTEM, or an administrator) and attached to the +30 arrears e-mail
    DocumentKind.CARTA_COBRANZA: "notifications.run",
}
