"""Token prices from a data file the user can override, and the cost of a call."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import HarnessError
from harness.store.models import Usage


class Price(BaseModel):
    """US dollars per million tokens; a negative price is a typo, never a discount."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_write: float = Field(ge=0)
    cache_read: float = Field(ge=0)


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: str
    models: dict[str, Price]

    def price(self, model: str) -> Price | None:
        matches = [prefix for prefix in self.models if model.startswith(prefix)]
        return self.models[max(matches, key=len)] if matches else None

    def cost(self, model: str, usage: Usage) -> float:
        price = self.price(model)
        if price is None:
            return 0.0
        total = (
            usage.input_tokens * price.input
            + usage.output_tokens * price.output
            + usage.cache_write_tokens * price.cache_write
            + usage.cache_read_tokens * price.cache_read
        )
        return round(total / 1_000_000, 6)


def load_prices(path: Path | None = None) -> PriceTable:
    """The packaged table, or ``path`` / ``$SKILL_EVAL_PRICES`` when given."""
    override = path or (Path(p) if (p := os.environ.get("SKILL_EVAL_PRICES")) else None)
    if override is None:
        text = resources.files("harness").joinpath("data/prices.json").read_text()
        where = "harness/data/prices.json"
    else:
        try:
            text = override.read_text()
        except OSError as exc:
            raise HarnessError(f"--prices {override}: {exc.strerror}") from None
        where = str(override)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{where}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(raw, dict):
        raw.pop("_comment", None)
    try:
        return PriceTable.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "the table"
        raise HarnessError(f"{where}: field '{field}': {err['msg']}") from None
