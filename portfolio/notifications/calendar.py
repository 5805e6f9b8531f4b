"""A user's obligations as an iCalendar feed (RFC 5545) that Outlook, Google Calendar or Thunderbird subscribe
to: one all-day event per obligation, whose UID is the obligation's key, so a moved due date updates the
event instead of adding a second one (``DTSTAMP`` is the moment of the request: subscribers re-read the feed)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from icalendar import Alarm, Calendar, Event

from portfolio import clock
from portfolio.formatting import format_date
from portfolio.money import format_money
from portfolio.notifications.obligations import Obligation
from portfolio.notifications.vocab import KIND_LABELS, STATE_LABELS

PRODID = "-//Gobierno Regional La Libertad//Cartera de Seguridad Ciudadana//ES"


def feed(obligations: list[Obligation], *, url_for_ob: Callable[[Obligation], str], domain: str,
         name: str = "Vencimientos — Cartera de Seguridad Ciudadana") -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", str(clock.zone()))
    stamp = clock.utcnow()
    for ob in obligations:
        event = Event()
        event.add("uid", f"{ob.key.replace(':', '-')}@{domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", ob.due_on)
        event.add("dtend", ob.due_on + dt.timedelta(days=1))
        event.add("summary", f"Vence: {ob.title}")
        url = url_for_ob(ob)
        amount = f"\nMonto: {format_money(ob.amount)}" if ob.amount is not None else ""
        event.add("description", f"{KIND_LABELS[ob.kind]} — {STATE_LABELS[ob.state]}.\nVence el "
                                 f"{format_date(ob.due_on)}.{amount}\n{url}")
        event.add("url", url)
        event.add("categories", [KIND_LABELS[ob.kind]])
        event.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Vence: {ob.title}")
        alarm.add("trigger", dt.timedelta(days=-1))
        event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
