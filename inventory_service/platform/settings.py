"""Settings from the environment (prefix INVENTORY_); defaults run the embedded demo.

Rules: one module-level instance (`settings`); code reads it through `get_settings()` so tests
can swap it; travel bands are ordered and strictly increasing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# `make install` puts the browser assets (Swagger UI, ReDoc, GraphiQL) here with `npm ci`.
DEFAULT_WEB_ASSETS = Path(__file__).resolve().parents[2] / "web" / "node_modules"

Minutes = Annotated[int, Field(ge=0, le=7 * 24 * 60)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///inventory.db"
    time_zone: str = "Asia/Shanghai"
    hub_name: str = "Shenyang"
    hub_lat: float = Field(default=41.8057, ge=-90, le=90)
    hub_lon: float = Field(default=123.4315, ge=-180, le=180)
    local_radius_km: float = Field(default=25.0, gt=0)
    local_band_minutes: Minutes = 30
    # Beyond the local radius: (distance ceiling in km, inclusive; band minutes), nearest first.
    travel_bands: list[tuple[float, Minutes]] = [(100.0, 60), (300.0, 180), (500.0, 300)]
    deadline_minutes: Minutes = 240
    hold_minutes: Minutes = 120
    expiry_sweep_seconds: float = Field(default=30.0, ge=0)
    idempotency_ttl_hours: int = Field(default=24, ge=24)
    auth_cache_seconds: float = Field(default=5.0, ge=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    sqlite_busy_timeout_ms: int = Field(default=15_000, ge=0)
    db_pool_size: int = Field(default=10, ge=1)
    # Every wait on the database is bounded; past it the request is 503 service_unavailable.
    db_connect_timeout_seconds: int = Field(default=5, ge=1)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    db_lock_timeout_ms: int = Field(default=10_000, ge=1)
    # None: on everywhere but in production (a schema map is a gift to an attacker there).
    graphql_introspection: bool | None = None
    graphql_max_depth: int = Field(default=10, ge=1)
    # Answer the documents `api.graphql.compiled` can compile without graphql-core's execution.
    graphql_compiled: bool = True
    graphql_max_cost: int = Field(default=50_000, ge=1)
    graphql_max_response_mb: float = Field(default=16.0, gt=0)
    max_body_mb: float = Field(default=16.0, gt=0)
    import_max_rows: int = Field(default=200_000, ge=1)
    import_max_unpacked_mb: float = Field(default=64.0, gt=0)
    import_max_field_kb: int = Field(default=64, ge=1)
    redis_url: str | None = None
    workers: int = Field(default=1, ge=1)
    shutdown_grace_seconds: int = Field(default=20, ge=1)
    benchmark_endpoints: bool = False
    web_assets_dir: Path = DEFAULT_WEB_ASSETS
    # The CJK font embedded in fault reports as PDF (Debian's fonts-noto-cjk); in a font
    # collection (.ttc) the index picks the face: 2 is Noto Sans CJK SC (Simplified Chinese).
    report_font: str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    report_font_bold: str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
    report_font_index: int = Field(default=2, ge=0)

    @property
    def introspection(self) -> bool:
        """Whether GraphQL introspection is on (off in production unless asked for)."""
        if self.graphql_introspection is None:
            return self.environment != "production"
        return self.graphql_introspection

    @field_validator("travel_bands")
    @classmethod
    def _bands_increase(cls, bands: list[tuple[float, int]]) -> list[tuple[float, int]]:
        ceilings = [ceiling for ceiling, _ in bands]
        if not bands or ceilings != sorted(set(ceilings)):
            raise ValueError("travel bands must be non-empty with strictly increasing distances")
        return bands


settings = Settings()


def get_settings() -> Settings:
    """The settings in force (tests replace the module-level instance)."""
    return settings


def replace_settings(new: Settings) -> Settings:
    """Swap the settings in force and return the previous ones (tests and the CLI use it)."""
    global settings
    old, settings = settings, new
    return old
