"""Numbers by tools: a question that asks for a figure (interest at maturity, a cash-advance fee, the
last day of a cooling-off period) is answered by a calculator over the product parameters, never by
the model's arithmetic. The answer gives the figure, the formula in words and a citation of the clause
that states the rate; a missing argument is asked for instead of guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from agent.clauses import cite_clause
from agent.prompting import load_policy, load_prompt, render
from agent.reply import Citation
from agent.tools.arguments import CalcArgs, extract_args
from agent.tools.arithmetic import (
    cash_advance_fee,
    deposit_interest,
    early_withdrawal_interest,
    period_last_day,
    premium_for_sum,
)
from knowledge.products import Product, ProductCatalog
from knowledge.store import IndexSnapshot


@dataclass(frozen=True)
class ToolAnswer:
    """What a calculator says: an answer with citations, or a question for a missing argument."""

    kind: str
    text: str
    citations: tuple[Citation, ...]
    products: tuple[str, ...]  # product keys the answer is about (for required disclosures)
    missing: str | None = None  # the argument asked for, when the answer is a question


@cache
def _kinds() -> list[tuple[str, list[re.Pattern[str]], tuple[str, ...]]]:
    policy = load_policy("calculations")
    return [(name, [re.compile(p, re.IGNORECASE) for p in policy["kinds"][name]["requires"]],
             tuple(policy["kinds"][name]["arguments"])) for name in policy["order"]]


@cache
def _lookups() -> frozenset[str]:
    """Kinds that answer their rule when the question states no argument."""
    kinds = load_policy("calculations")["kinds"]
    return frozenset(name for name, spec in kinds.items() if spec.get("lookup"))


@cache
def _product_patterns() -> dict[str, re.Pattern[str]]:
    return {key: re.compile(p, re.IGNORECASE) for key, p in load_policy("calculations")["products"].items()}


def calculation_kind(question: str) -> str | None:
    """The calculation ``question`` asks for, by the patterns in prompts/calculations.yaml."""
    for name, patterns, _ in _kinds():
        if all(p.search(question) for p in patterns):
            return name
    return None


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _amount(value: Decimal) -> str:
    return f"{value:,f}" if value != value.to_integral_value() else f"{value.to_integral_value():,}"


def _term(months: int, language: str) -> str:
    if language == "zh":
        return f"{months // 12}年" if months % 12 == 0 else f"{months}个月"
    if months % 12 == 0:
        return f"{months // 12}-year" if months // 12 > 1 else "1-year"
    return f"{months}-month"


def _day(value: date, language: str) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if language == "zh" else value.isoformat()


class CalculationTool:
    """Answers calculation questions from the product catalog, citing clauses in the knowledge base."""

    def __init__(self, catalog: ProductCatalog) -> None:
        self.catalog = catalog

    def answer(self, question: str, language: str, snapshot: IndexSnapshot, today: date | None = None,
               context: str = "") -> ToolAnswer | None:
        """The calculator's answer, a question for a missing argument, or None when ``question`` is no
        calculation (or the clause to cite is not in the knowledge base: then there is nothing to cite).

        ``context`` is the earlier question a follow-up continues ("存三年定期利息多少？" before "10万"):
        it may name the calculation and fill arguments the follow-up does not restate; the follow-up's
        own arguments win ("那五年期呢？" after a 3-year question computes 5 years)."""
        kind = calculation_kind(question) or (calculation_kind(context) if context else None)
        if kind is None:
            return None
        args = extract_args(question, today)
        if context:
            earlier = extract_args(context, today)
            args = CalcArgs(**{f: getattr(args, f) if getattr(args, f) is not None else getattr(earlier, f)
                               for f in ("amount", "months", "days", "start", "age")},
                            abroad=args.abroad or earlier.abroad)
            question = f"{context} {question}"  # product names for period questions
        wanted = next(arguments for name, _, arguments in _kinds() if name == kind)
        if not any(getattr(args, a) is not None for a in wanted):
            if kind in _lookups():
                result: ToolAnswer | None = getattr(self, f"_{kind}_rule")(args, load_prompt("tools", language),
                                                                          language, snapshot)
                return result
            return None  # "定期利息怎么算？": a question about the rule, for the documents
        prompt = load_prompt("tools", language)
        for argument in wanted:
            if getattr(args, argument) is None:
                return self._ask(kind, argument, prompt, language)
        computed: ToolAnswer | None = getattr(self, f"_{kind}")(args, question, prompt, language, snapshot)
        return computed

    def _ask(self, kind: str, argument: str, prompt: dict[str, Any], language: str, **values: str) -> ToolAnswer:
        values.setdefault("terms", self._terms(language))
        return ToolAnswer(kind, render(prompt["ask"][argument], **values), (), (), missing=argument)

    def _terms(self, language: str) -> str:
        joiner = "、" if language == "zh" else ", "
        return joiner.join(_term(m, language) for m in sorted(self.catalog.deposit_rates()))

    def _deposit_interest(self, args: CalcArgs, question: str, prompt: dict[str, Any], language: str,
                          snapshot: IndexSnapshot) -> ToolAnswer | None:
        assert args.amount is not None and args.months is not None
        product = self.catalog.get("time-deposit")
        rates = self.catalog.deposit_rates()
        if args.months not in rates:
            return self._ask("deposit_interest", "unknown_term", prompt, language,
                             term=_term(args.months, language))
        rate = rates[args.months]
        citations = self._cite(snapshot, product, language, [("rates", f"{rate}%"), ("formula", "×")])
        if citations is None:
            return None
        interest = deposit_interest(args.amount, rate, args.months)
        years = (Decimal(args.months) / 12).normalize()
        text = render(prompt["deposit_interest"], term=_term(args.months, language), rate=rate,
                      amount=_amount(args.amount), years=f"{years:f}", interest=_money(interest),
                      total=_money(args.amount + interest))
        return ToolAnswer("deposit_interest", text, citations, (product.key,))

    def _early_withdrawal(self, args: CalcArgs, question: str, prompt: dict[str, Any], language: str,
                          snapshot: IndexSnapshot) -> ToolAnswer | None:
        assert args.amount is not None and args.days is not None
        product = self.catalog.get("time-deposit")
        rate, day_count = product.decimal("demand_rate"), int(product.decimal("day_count"))
        citations = self._cite(snapshot, product, language, [("early_withdrawal", f"{rate}%")])
        if citations is None:
            return None
        interest = early_withdrawal_interest(args.amount, rate, args.days, day_count)
        text = render(prompt["early_withdrawal"], rate=rate, day_count=day_count, amount=_amount(args.amount),
                      days=args.days, interest=_money(interest))
        return ToolAnswer("early_withdrawal", text, citations, (product.key,))

    def _cash_advance_fee(self, args: CalcArgs, question: str, prompt: dict[str, Any], language: str,
                          snapshot: IndexSnapshot) -> ToolAnswer | None:
        assert args.amount is not None
        product = self.catalog.get("credit-card")
        where = "abroad" if args.abroad else "domestic"
        percent = product.decimal("cash_advance_fee", where, "percent")
        minimum = product.decimal("cash_advance_fee", where, "minimum")
        citations = self._cite(snapshot, product, language, [("cash_advance_fee", f"{percent}%")])
        if citations is None:
            return None
        fee = cash_advance_fee(args.amount, percent, minimum)
        text = render(prompt["cash_advance_fee"], where=prompt["where"][where], percent=percent, minimum=minimum,
                      amount=_amount(args.amount), fee=_money(fee))
        return ToolAnswer("cash_advance_fee", text, citations, (product.key,))

    def _period(self, kind: str, parameter: str, args: CalcArgs, question: str, prompt: dict[str, Any],
                language: str, snapshot: IndexSnapshot) -> ToolAnswer | None:
        assert args.start is not None
        named = [key for key, pattern in _product_patterns().items() if pattern.search(question)]
        candidates = named or list(_product_patterns())
        days = {key: int(self.catalog.get(key).decimal(f"{parameter}_days")) for key in candidates}
        if len(set(days.values())) > 1:
            choices = prompt["or"].join(self.catalog.get(k).name(language) for k in candidates)
            return self._ask(kind, "product", prompt, language, choices=choices)
        products = [self.catalog.get(k) for k in candidates]
        citations: list[Citation] = []
        for product in products:
            found = self._cite(snapshot, product, language, [(parameter, str(days[product.key]))],
                                first=len(citations) + 1)
            if found is None:
                return None
            citations.extend(found)
        n_days = days[candidates[0]]
        end = period_last_day(args.start, n_days)
        marks = "".join(f"[{c.n}]" for c in citations)
        text = render(prompt[kind], product=prompt["and"].join(p.name(language) for p in products), days=n_days,
                      marks=marks, start=_day(args.start, language),
                      first=_day(args.start + timedelta(days=1), language), end=_day(end, language))
        return ToolAnswer(kind, text, tuple(citations), tuple(p.key for p in products))

    def _cash_advance_fee_rule(self, args: CalcArgs, prompt: dict[str, Any], language: str,
                               snapshot: IndexSnapshot) -> ToolAnswer | None:
        """The fee rule itself: for the place the customer names, or both when none is named."""
        product = self.catalog.get("credit-card")
        places = ["abroad"] if args.abroad else ["domestic", "abroad"]
        parts = [render(prompt["cash_advance_rule_part"], where=prompt["where"][place],
                        percent=product.decimal("cash_advance_fee", place, "percent"),
                        minimum=product.decimal("cash_advance_fee", place, "minimum")) for place in places]
        needle = f"{product.decimal('cash_advance_fee', places[-1], 'percent')}%"
        citations = self._cite(snapshot, product, language, [("cash_advance_fee", needle)])
        if citations is None:
            return None
        rules = prompt["rule_joiner"].join(parts)
        text = render(prompt["cash_advance_rule"], rules=rules[0].upper() + rules[1:])
        return ToolAnswer("cash_advance_fee", text, citations, (product.key,))

    def _cooling_off_end(self, args: CalcArgs, question: str, prompt: dict[str, Any], language: str,
                         snapshot: IndexSnapshot) -> ToolAnswer | None:
        return self._period("cooling_off_end", "cooling_off", args, question, prompt, language, snapshot)

    def _waiting_end(self, args: CalcArgs, question: str, prompt: dict[str, Any], language: str,
                     snapshot: IndexSnapshot) -> ToolAnswer | None:
        return self._period("waiting_end", "waiting", args, question, prompt, language, snapshot)

    def _term_life_premium(self, args: CalcArgs, question: str, prompt: dict[str, Any], language: str,
                           snapshot: IndexSnapshot) -> ToolAnswer | None:
        assert args.amount is not None and args.age is not None
        product = self.catalog.get("term-life")
        bands = [(int(low), int(high), Decimal(str(rate))) for low, high, rate in product.params["premium_rates"]]
        band = next(((low, high, r) for low, high, r in bands if low <= args.age <= high), None)
        if band is None:
            return self._ask("term_life_premium", "unknown_age", prompt, language, age=str(args.age),
                             low=str(bands[0][0]), high=str(bands[-1][1]))
        minimum = product.decimal("minimum_sum_insured")
        if args.amount < minimum or args.amount % 10_000:
            return self._ask("term_life_premium", "sum_insured", prompt, language, minimum=_amount(minimum))
        rate = band[2]
        citations = self._cite(snapshot, product, language,
                               [("premium_rates", f"| {band[0]}-{band[1]} |"), ("premium_formula", "÷")])
        if citations is None:
            return None
        premium = premium_for_sum(args.amount, rate, product.decimal("premium_per"))
        text = render(prompt["term_life_premium"], product=product.name(language), age=args.age, rate=rate,
                      amount=_amount(args.amount), premium=_money(premium))
        return ToolAnswer("term_life_premium", text, citations, (product.key,))

    @staticmethod
    def _cite(snapshot: IndexSnapshot, product: Product, language: str, wanted: list[tuple[str, str]],
              first: int = 1) -> tuple[Citation, ...] | None:
        """Citations numbered from ``first`` of the clauses stating each (parameter, needle); None when
        one is missing from the knowledge base."""
        citations = []
        for i, (parameter, needle) in enumerate(wanted):
            citation = cite_clause(snapshot, product.source(parameter, language), first + i, needle)
            if citation is None:
                return None
            citations.append(citation)
        return tuple(citations)
