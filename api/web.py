"""Pages for people: the API docs (Swagger UI, ReDoc) and GraphiQL, every asset served here.

The service runs on customers' intranets with no internet, so no page may load anything from
a CDN: the JavaScript and CSS come from npm packages that `make install` puts under
`settings.web_assets_dir` (see web/package.json), mounted read-only below `/assets/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.routing import Mount, Router

HERE: Final = Path(__file__).resolve().parent
templates: Final = Jinja2Templates(directory=HERE / "templates")

# URL prefix → directory inside the npm packages; only these folders are served.
VENDOR: Final = {
    "swagger-ui": "swagger-ui-dist",
    "redoc": "redoc/bundles",
    "graphiql": "graphiql",
    "react": "react/umd",
    "react-dom": "react-dom/umd",
}
FAVICON: Final = "/assets/app/favicon.svg"
# The pages' own promise that nothing leaves the service, kept by the browser (ReDoc, for one,
# would fetch its logo from a CDN). Swagger UI and GraphiQL start from an inline script; ReDoc
# styles inline and runs a worker from a blob; GraphiQL subscribes over a websocket.
DOCS_POLICY: Final = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'"
)
CONSOLE_POLICY: Final = (
    "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
)


def self_only(response: HTMLResponse, policy: str = DOCS_POLICY) -> HTMLResponse:
    """The page with a Content-Security-Policy that lets it load only from the service."""
    response.headers["Content-Security-Policy"] = policy
    return response


def mount_assets(app: FastAPI, vendor_root: Path) -> None:
    """The service's own static files and the vendored browser packages under /assets/.

    One mount holds them all, so that a request elsewhere is turned away by one prefix test
    rather than one per package (see `api/routing.py`)."""
    folders = [
        # check_dir=False: a checkout without `make install` still starts; the page says why.
        Mount(f"/{prefix}", StaticFiles(directory=vendor_root / folder, check_dir=False))
        for prefix, folder in VENDOR.items()
    ]
    app.mount(
        "/assets",
        Router([Mount("/app", StaticFiles(directory=HERE / "static")), *folders]),
        name="assets",
    )


def install_docs(app: FastAPI) -> None:
    """/docs and /redoc with assets from /assets/ (FastAPI's self-hosting recipe)."""
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return self_only(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} – Swagger UI",
                oauth2_redirect_url=oauth2_redirect,
                swagger_js_url="/assets/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url="/assets/swagger-ui/swagger-ui.css",
                swagger_favicon_url=FAVICON,
                # The validator badge would call validator.swagger.io from the browser.
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return self_only(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} – ReDoc",
                redoc_js_url="/assets/redoc/redoc.standalone.js",
                redoc_favicon_url=FAVICON,
                with_google_fonts=False,
            )
        )


def graphiql_page(request: Request) -> HTMLResponse:
    """GraphiQL with local assets; the page explains how to send a token in the header editor."""
    return self_only(
        templates.TemplateResponse(request, "graphiql.html", {"endpoint": request.url.path})
    )
