"""Product parameters as structured data: rates, fees and periods the calculators compute with.

The figures live in a YAML file beside the documents that state them (``demo_products/products.yaml``
for the demo); every parameter names its source document and section per language, so an answer
computed from it can cite the very clause. Numbers are kept as :class:`~decimal.Decimal`, never float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


class ProductDataError(ValueError):
    """The product-parameters file is missing, malformed or names something it does not define."""


@dataclass(frozen=True)
class ClauseRef:
    """Where a parameter is stated: a document file name and a section heading."""

    document: str
    section: str


@dataclass(frozen=True)
class Product:
    key: str
    kind: str  # deposit | credit_card | insurance
    sources: dict[str, dict[str, ClauseRef]]  # parameter -> language -> clause
    params: dict[str, Any]
    names: dict[str, str]  # language -> the product's name

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("zh") or self.key

    def source(self, parameter: str, language: str) -> ClauseRef:
        by_language = self.sources.get(parameter)
        if not by_language:
            raise ProductDataError(f"product {self.key!r} names no source for {parameter!r}")
        return by_language.get(language) or by_language.get("zh") or next(iter(by_language.values()))

    def decimal(self, *path: str | int) -> Decimal:
        value: Any = self.params
        for part in path:
            if not isinstance(value, dict) or part not in value:
                raise ProductDataError(f"product {self.key!r} has no parameter {'.'.join(map(str, path))}")
            value = value[part]
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ProductDataError(f"product {self.key!r}: {'.'.join(map(str, path))} = {value!r} is no number") \
                from None


@dataclass(frozen=True)
class ProductCatalog:
    products: dict[str, Product]

    def get(self, key: str) -> Product:
        try:
            return self.products[key]
        except KeyError:
            raise ProductDataError(f"no product {key!r}; defined: {', '.join(sorted(self.products))}") from None

    def deposit_rates(self, key: str = "time-deposit") -> dict[int, Decimal]:
        """Term in months -> annual rate in percent."""
        return {int(m): Decimal(str(r)) for m, r in self.get(key).params["rates"].items()}


def demo_products() -> Path:
    """The demo parameters file, outside ``demo_kb/`` so ingestion never treats it as a document."""
    return Path(str(resources.files("knowledge").joinpath("demo_products", "products.yaml")))


def load_products(path: Path | None = None) -> ProductCatalog:
    path = path or demo_products()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProductDataError(f"{path}: product-parameters file not found; check the products path setting") \
            from None
    except yaml.YAMLError as err:
        raise ProductDataError(f"{path}: not valid YAML ({err}); fix the file and retry") from None
    if not isinstance(raw, dict):
        raise ProductDataError(f"{path}: expected a mapping of product key -> parameters")
    products: dict[str, Product] = {}
    for key, spec in raw.items():
        if not isinstance(spec, dict) or "kind" not in spec:
            raise ProductDataError(f"{path}: product {key!r} needs a 'kind' (deposit, credit_card, insurance)")
        sources: dict[str, dict[str, ClauseRef]] = {}
        for parameter, by_language in (spec.get("sources") or {}).items():
            try:
                sources[parameter] = {lang: ClauseRef(str(ref[0]), str(ref[1])) for lang, ref in by_language.items()}
            except (TypeError, IndexError, AttributeError):
                raise ProductDataError(f"{path}: {key}.sources.{parameter} must map a language to "
                                       "[document file, section heading]") from None
        params = {k: v for k, v in spec.items() if k not in ("kind", "sources", "name")}
        names = {str(lang): str(name) for lang, name in (spec.get("name") or {}).items()}
        products[str(key)] = Product(str(key), str(spec["kind"]), sources, params, names)
    return ProductCatalog(products)
