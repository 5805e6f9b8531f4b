"""The drop-downs' options (the ``options`` filter): values and labels escaped, the chosen one marked as the
form sends it back (text), whatever the type of the values."""
from __future__ import annotations

from markupsafe import Markup

from portfolio.formatting import options
from portfolio.projects.queries import CompanyChoice
from portfolio.projects.vocab import Stage


def test_values_and_labels_are_escaped_and_the_chosen_one_is_marked():
    html = options([(1, 'Minera "Sur" & Cía'), (2, "<b>Otra</b>")], "2")
    assert isinstance(html, Markup)
    assert html == ('<option value="1">Minera &#34;Sur&#34; &amp; Cía</option>'
                    '<option value="2" selected>&lt;b&gt;Otra&lt;/b&gt;</option>')


def test_ids_enums_and_nothing_chosen():
    companies = [CompanyChoice(7, "Uno"), CompanyChoice(17, "Dos")]
    assert options(companies, 17).count(" selected") == 1 and '<option value="17" selected>Dos' in options(companies, 17)
    assert " selected" not in options(companies, None) and " selected" not in options(companies, "")
    stages = {Stage.PRIORIZADO: "Priorizado", Stage.LIQUIDADO: "Liquidado"}
    assert '<option value="liquidado" selected>Liquidado' in options(stages.items(), "liquidado")


def test_a_list_page_keeps_the_filter_it_was_asked_for(app, login_as):
    staff = login_as("staff")
    page = staff.get("/proyectos/?etapa=en_ejecucion").get_data(as_text=True)
    assert '<option value="en_ejecucion" selected>' in page and page.count(" selected>") == 1
