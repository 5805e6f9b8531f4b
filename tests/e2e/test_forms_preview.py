"""Live hints in forms, in a real browser: the 0.15 % contribution preview as the company types its payroll
(integer arithmetic, half-up to the cent, under the strict CSP), and the server's figure agrees."""
from __future__ import annotations


def test_contribution_preview_follows_the_payroll_and_matches_the_server(page, login):
    login("empresa2@demo.pe")
    page.goto("/fideicomiso/empresa/declarar")
    preview = page.locator("#contribution-preview")
    assert preview.inner_text() == "—"
    cases = {
        "1,000,000.00": "S/ 1,500.00",
        "S/ 1,234,567.89": "S/ 1,851.85",   # 1,851.851835 → .85
        "3.33": "S/ 0.00",                   # 0.004995 → 0.00
        "3.34": "S/ 0.01",                   # 0.00501 → 0.01
        "10.00": "S/ 0.02",                  # 0.015 exactly → half-up 0.02 (a float gives 0.01)
        "9,007,199,254,740,993.00": "S/ 13,510,798,882,111.49",  # beyond float precision: .4895 → .49
        "12.345": "—",                       # three decimals are refused, as on the server
        "abc": "—",
    }
    for typed, expected in cases.items():
        page.fill("input[name=payroll]", typed)
        assert preview.inner_text() == expected, typed
    page.fill("input[name=payroll]", "2,345,678.90")
    assert preview.inner_text() == "S/ 3,518.52"
    page.fill("input[name=month]", "2024-02")  # a month the demo company has not declared
    page.fill("input[name=headcount]", "25")
    page.get_by_role("button", name="Declarar").click()
    page.wait_for_load_state()
    body = page.content()
    # the no-break space after «S/», as the browser serialises it
    assert "Declaración registrada: aporte de S/&nbsp;3,518.52." in body
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
