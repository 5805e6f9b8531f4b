"""The data dictionary of the bulk open data: every file of the ZIP and every column, in order.

The CSV writers take their headers from here (``columns``), so the dictionary page and the files can never
disagree; ``tests/public/test_open_data.py`` reads the ZIP back and checks every header against it.
"""
from __future__ import annotations

from dataclasses import dataclass

LICENSE_NAME = "Creative Commons Atribución 4.0 Internacional (CC BY 4.0)"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/deed.es"

TEXT, NUMBER, DATE, MONEY, PCT, CODE = "texto", "número entero", "fecha (aaaa-mm-dd)", \
    "monto en soles (punto decimal, 2 decimales)", "porcentaje (punto decimal, 2 decimales)", "código"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class Table:
    filename: str
    title: str
    description: str
    columns: tuple[Column, ...]

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name: str, kind: str, description: str) -> Column:
    return Column(name, kind, description)


PROJECTS = Table("proyectos.csv", "Proyectos de Obras por Impuestos", "Un registro por proyecto de la cartera.", (
    _c("proyecto_id", NUMBER, "Identificador del proyecto en este portal (la página es /transparencia/proyectos/<id>)."),
    _c("id_oc4ids", CODE, "Identificador OC4IDS del proyecto (prefijo del publicador + id); el mismo del JSON."),
    _c("cui", CODE, "Código Único de Inversiones (Invierte.pe, 7 dígitos); vacío si aún no lo tiene."),
    _c("proyecto", TEXT, "Nombre del proyecto."),
    _c("entidad", TEXT, "Entidad pública responsable."),
    _c("entidad_ruc", CODE, "RUC de la entidad pública (11 dígitos)."),
    _c("nivel_gobierno", TEXT, "Nivel de gobierno de la entidad (nacional, regional, provincial, distrital, universidad)."),
    _c("etapa", CODE, "Etapa del ciclo de Obras por Impuestos (código; ver localStatus en la extensión OC4IDS)."),
    _c("etapa_nombre", TEXT, "Etapa del ciclo, como se muestra en el portal."),
    _c("sector", TEXT, "Función o sector del proyecto."),
    _c("mecanismo", TEXT, "Obras por Impuestos o Proyectos en activos."),
    _c("multidepartamental", TEXT, "«si» si el proyecto abarca varios departamentos (sin ubigeo propio)."),
    _c("ubigeos", CODE, "Ubigeos INEI (6 dígitos) de sus ubicaciones, separados por « | »."),
    _c("departamentos", TEXT, "Departamentos de sus ubicaciones, separados por « | »."),
    _c("provincias", TEXT, "Provincias de sus ubicaciones, separadas por « | »."),
    _c("distritos", TEXT, "Distritos de sus ubicaciones, separados por « | »."),
    _c("empresas_financistas", TEXT, "Empresa o empresas del consorcio que financian, separadas por « | »."),
    _c("rucs_financistas", CODE, "RUC de cada empresa financista, en el mismo orden, separados por « | »."),
    _c("empresa_ejecutora", TEXT, "Empresa que ejecuta la obra o entrega el equipamiento."),
    _c("supervisora", TEXT, "Entidad privada supervisora."),
    _c("monto_referencial", MONEY, "Monto referencial (proyecto declarado viable)."),
    _c("monto_adjudicado", MONEY, "Monto de la buena pro (monto original del convenio)."),
    _c("monto_vigente", MONEY, "Monto vigente del convenio: adjudicado más variaciones de monto aprobadas. Vacío antes de la buena pro."),
    _c("devengado", MONEY, "Ejecución devengada acumulada (valorizado) registrada para el proyecto en la cartera "
       "(partidas de su presupuesto)."),
    _c("girado", MONEY, "Ejecución girada (pagada) acumulada registrada para el proyecto en la cartera (partidas "
       "de su presupuesto)."),
    _c("devengado_mef", MONEY, "Devengado según los datos abiertos de MEF («Presupuesto y ejecución de gasto»): "
       "suma de los años de mef_anios (última versión importada de cada año). Vacío si MEF no tiene cifras del CUI."),
    _c("girado_mef", MONEY, "Girado según MEF, sumado sobre los mismos años que devengado_mef. Vacío si MEF no "
       "tiene cifras del CUI."),
    _c("mef_anios", TEXT, "Años de ejecución (ANO_EJE) de MEF sumados en devengado_mef y girado_mef, separados por "
       "« | »."),
    _c("mef_mes_corte", NUMBER, "Último mes de ejecución (MES_EJE, 1-12) del último año de MEF; 0 si el archivo "
       "de ese año es anual."),
    _c("diferencia_devengado", MONEY, "devengado menos devengado_mef (vacío sin cifras de MEF): lo registrado en "
       "la cartera que MEF aún no muestra, o al revés si es negativo."),
    _c("certificados_emitidos", MONEY, "Suma de los certificados CIPRL/CIPGN emitidos (ver certificados.csv)."),
    _c("avance_fisico_real_pct", PCT, "Avance físico real acumulado más alto registrado en sus hitos."),
    _c("plazo_dias", NUMBER, "Plazo de ejecución en días calendario."),
    _c("fecha_priorizacion", DATE, "Fecha de priorización."),
    _c("fecha_convocatoria", DATE, "Fecha de la convocatoria del proceso de selección."),
    _c("fecha_buena_pro", DATE, "Fecha de la buena pro."),
    _c("fecha_convenio", DATE, "Fecha de suscripción del convenio de inversión."),
    _c("fecha_inicio", DATE, "Fecha de inicio de la ejecución."),
    _c("fecha_culminacion", DATE, "Fecha prevista de culminación."),
    _c("fecha_recepcion", DATE, "Fecha de recepción por la entidad."),
    _c("fecha_liquidacion", DATE, "Fecha de la liquidación."),
))

LOCATIONS = Table("ubicaciones.csv", "Ubicaciones de los proyectos", "Un registro por proyecto y distrito.", (
    _c("proyecto_id", NUMBER, "Proyecto (ver proyectos.csv)."),
    _c("ubigeo", CODE, "Ubigeo INEI del distrito (6 dígitos DDPPdd)."),
    _c("departamento", TEXT, "Departamento."),
    _c("provincia", TEXT, "Provincia."),
    _c("distrito", TEXT, "Distrito."),
))

FUNDERS = Table("financistas.csv", "Empresas financistas", "Un registro por proyecto y empresa financista.", (
    _c("proyecto_id", NUMBER, "Proyecto (ver proyectos.csv)."),
    _c("ruc", CODE, "RUC de la empresa (11 dígitos)."),
    _c("empresa", TEXT, "Razón social de la empresa."),
    _c("participacion_pct", PCT, "Participación de la empresa en el financiamiento (las de un proyecto suman 100)."),
    _c("monto_participacion", MONEY, "Su parte del monto vigente del convenio (las de un proyecto suman el monto vigente); vacío antes de la buena pro."),
))

MILESTONES = Table("hitos.csv", "Hitos de los proyectos", "Un registro por hito (expediente, valorización, recepción…).", (
    _c("proyecto_id", NUMBER, "Proyecto (ver proyectos.csv)."),
    _c("hito", NUMBER, "Número del hito dentro del proyecto, por fecha programada (el del JSON OC4IDS: hito-<n>)."),
    _c("tipo", TEXT, "Tipo de hito."),
    _c("descripcion", TEXT, "Descripción del hito."),
    _c("fecha_programada", DATE, "Fecha programada."),
    _c("fecha_real", DATE, "Fecha en que se cumplió; vacío si no se cumplió."),
    _c("estado", TEXT, "Programado, Cumplido, Parcial o No cumplido (un hito programado cuya fecha pasó sin cumplirse figura como «Vencido»)."),
    _c("avance_fisico_programado_pct", PCT, "Avance físico acumulado programado al hito."),
    _c("avance_fisico_real_pct", PCT, "Avance físico acumulado real al hito."),
    _c("monto_valorizacion", MONEY, "Monto de la valorización (hitos de valorización)."),
))

CERTIFICATES = Table("certificados.csv", "Certificados emitidos", "Un registro por certificado CIPRL/CIPGN emitido (los anulados no figuran).", (
    _c("proyecto_id", NUMBER, "Proyecto (ver proyectos.csv)."),
    _c("tipo", CODE, "CIPRL (gobiernos regionales, locales y universidades) o CIPGN (gobierno nacional)."),
    _c("numero", CODE, "Número del certificado."),
    _c("fecha_emision", DATE, "Fecha de emisión."),
    _c("monto", MONEY, "Monto del certificado."),
    _c("hito", NUMBER, "Hito (valorización) que el certificado paga, si es por avance (ver hitos.csv)."),
))

DISBURSEMENTS = Table("desembolsos_fideicomiso.csv", "Desembolsos pagados del fideicomiso",
                      "Un registro por trimestre, programa y organización beneficiaria: lo pagado en ese trimestre.", (
    _c("anio", NUMBER, "Año del pago."),
    _c("trimestre", NUMBER, "Trimestre del pago (1 a 4)."),
    _c("programa", TEXT, "Programa del fideicomiso."),
    _c("organizacion_beneficiaria", TEXT, "Organización que recibió el desembolso."),
    _c("ruc_beneficiaria", CODE, "RUC de la organización beneficiaria."),
    _c("pagos", NUMBER, "Número de pagos (tramos) en el trimestre."),
    _c("monto_pagado", MONEY, "Monto pagado en el trimestre."),
))

INDICATORS = Table("indicadores.csv", "Indicadores de seguridad ciudadana",
                   "Un registro por indicador público y trimestre con medición.", (
    _c("codigo", CODE, "Código del indicador."),
    _c("indicador", TEXT, "Nombre del indicador."),
    _c("unidad", TEXT, "Unidad de medida."),
    _c("sentido", TEXT, "Si mejora al subir o al bajar."),
    _c("nivel", TEXT, "Nivel del indicador."),
    _c("responsable", TEXT, "Programa o proyecto responsable."),
    _c("anio", NUMBER, "Año de la medición."),
    _c("trimestre", NUMBER, "Trimestre de la medición (1 a 4)."),
    _c("linea_base", TEXT, "Valor de línea de base (número con punto decimal)."),
    _c("anio_linea_base", NUMBER, "Año de la línea de base."),
    _c("meta_anual", TEXT, "Meta del año (número con punto decimal)."),
    _c("valor", TEXT, "Valor medido vigente (número con punto decimal; la versión más reciente)."),
    _c("version", NUMBER, "Versión de la medición (sube con cada corrección)."),
    _c("estado", TEXT, "En camino, En riesgo, Fuera de meta o Sin datos."),
    _c("fuente", TEXT, "Fuente de la medición."),
    _c("fecha_medicion", DATE, "Fecha de la medición."),
))

TABLES = (PROJECTS, LOCATIONS, FUNDERS, MILESTONES, CERTIFICATES, DISBURSEMENTS, INDICATORS)
