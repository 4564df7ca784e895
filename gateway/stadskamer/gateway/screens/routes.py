"""The routes of the screens: pages, static files, and the dashboards' SVG charts.

Pages and static files need no token (they hold no data); every piece of data is fetched by
the page from the REST API with the user's token. The charts are rendered here from the same
REST handlers, called with the user's token, and answered as ``image/svg+xml``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from stadskamer.gateway.rest import contacts, surveys
from stadskamer.gateway.rest.app import Edge
from stadskamer.gateway.rest.codec import BadInput
from stadskamer.gateway.rest.operations import Call, Param
from stadskamer.gateway.rest.problems import Problem
from stadskamer.gateway.rest.schema import choice, code, integer
from stadskamer.gateway.screens import charts
from stadskamer.gateway.screens.pages import PAGES, render

SVG = "image/svg+xml"
FOLDER = Path(str(resources.files("stadskamer.gateway.screens")))
PARAMS = (
    Param("days", integer("Days.", 1, 3650), "The period in days."),
    Param("domain", code("Domain."), "The domain."),
    Param("groupBy", choice("Grouping.", surveys.GROUPS), "How to group."),
)
Chart = Callable[[Call, int, str, str], tuple[str, str, list[charts.Bar], float | None]]


def _period(days: int) -> dict[str, str]:
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    return {"startTime": start.isoformat(), "endTime": end.isoformat()}


def _rising(call: Call, days: int, domain: str, _group: str) -> Any:
    call.query = {"domain": domain, "bucket": "week", **_period(max(days, 28))}
    report = contacts.topic_signals(call).body
    bars = charts.rising_topics(report)
    return "Stijgende onderwerpen", "Contacten in de laatste week (▲ = stijgend)", bars, None


def _repeat(call: Call, days: int, domain: str, _group: str) -> Any:
    call.query = {"domain": domain, "bucket": "day", **_period(days)}
    bars = charts.repeat_shares(contacts.topic_signals(call).body)
    return "Herhaalcontact per onderwerp", "Aandeel herhaalcontact (%)", bars, 100.0


def _satisfaction(call: Call, days: int, _domain: str, group: str) -> Any:
    call.query = {"groupBy": group or "channel", **_period(days)}
    bars = charts.satisfaction(surveys.insights(call).body)
    title = "Tevredenheid per kanaal" if group != "org-unit" else "Tevredenheid per afdeling"
    return title, "Gemiddeld cijfer (1-10; rood = onvoldoende)", bars, 10.0


def _drivers(call: Call, days: int, _domain: str, _group: str) -> Any:
    call.query = {"groupBy": "aspect", **_period(days)}
    bars = charts.low_score_drivers(surveys.insights(call).body)
    return "Drijfveren van lage cijfers", "Aandeel van alle lage cijfers (%)", bars, 100.0


CHARTS: dict[str, Chart] = {
    "rising-topics": _rising,
    "repeat-share": _repeat,
    "satisfaction": _satisfaction,
    "low-score-drivers": _drivers,
}


def chart_endpoint(edge: Edge, name: str, chart: Chart) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint that renders one chart for the caller."""

    async def handle(request: Request) -> Response:
        try:
            caller = edge.authenticate(request)
            wait = edge.buckets.take(caller.key)
            if wait:
                raise Problem(429, "too many requests", "RATE_LIMITED", retry_after=wait)
            values = edge.validator.parameters(PARAMS, request.query_params)
            timeout = edge.limits.timeout_seconds
            deadline = time.monotonic() + timeout
            call = Call({}, {}, {}, caller.token, deadline, edge.stubs, edge.citizens)

            def render_chart() -> str:
                title, legend, bars, maximum = chart(
                    call,
                    values.get("days", 28),
                    values.get("domain", "kcc"),
                    values.get("groupBy", ""),
                )
                return charts.bar_chart(title, legend, bars, maximum)

            svg = await asyncio.wait_for(run_in_threadpool(render_chart), timeout + 1.0)
            return Response(svg, media_type=SVG, headers={"Cache-Control": "no-store"})
        except BadInput as bad:
            return Problem.bad_input(bad).response(request.url.path)
        except Problem as problem:
            return problem.response(request.url.path)
        except TimeoutError:
            return Problem(504, "the chart took too long", "DEADLINE_EXCEEDED").response(
                request.url.path
            )

    handle.__name__ = f"chart_{name.replace('-', '_')}"
    return handle


def page_endpoint(name: str) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of one page."""
    html = render(name)

    async def handle(_request: Request) -> Response:
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    handle.__name__ = f"page_{name}"
    return handle


async def _home(_request: Request) -> Response:
    return RedirectResponse("/kcc", status_code=307)


def screen_routes(edge: Edge) -> list[BaseRoute]:
    """The pages, static files and charts."""
    routes: list[BaseRoute] = [Route("/", _home, methods=["GET"])]
    routes += [Route(f"/{name}", page_endpoint(name), methods=["GET"]) for name in PAGES]
    routes += [
        Route(f"/screens/charts/{name}.svg", chart_endpoint(edge, name, chart), methods=["GET"])
        for name, chart in CHARTS.items()
    ]
    routes.append(Mount("/static", StaticFiles(directory=FOLDER / "static"), name="static"))
    return routes
