"""The arithmetic behind figures customers ask for, in Decimal and to the fen, as the documents define
it. The model never computes a number: these functions do, and the answer shows the formula."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


def to_fen(amount: Decimal) -> Decimal:
    """Rounded to the fen, half up ("利息金额计算至分，分以下四舍五入")."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def deposit_interest(principal: Decimal, annual_rate_percent: Decimal, months: int) -> Decimal:
    """Simple interest at maturity: principal × annual rate × term in years (3 months = 0.25 years)."""
    return to_fen(principal * annual_rate_percent / _HUNDRED * Decimal(months) / Decimal(12))


def early_withdrawal_interest(amount: Decimal, demand_rate_percent: Decimal, days: int,
                              day_count: int = 360) -> Decimal:
    """Interest on an amount withdrawn early: amount × demand rate ÷ day count × actual days."""
    return to_fen(amount * demand_rate_percent / _HUNDRED / Decimal(day_count) * Decimal(days))


def cash_advance_fee(amount: Decimal, percent: Decimal, minimum: Decimal) -> Decimal:
    """A percentage of the amount withdrawn, never less than the minimum per withdrawal."""
    return max(to_fen(amount * percent / _HUNDRED), to_fen(minimum))


def period_last_day(start: date, days: int) -> date:
    """Last day of a period of ``days`` days counted from the day after ``start`` (the start day itself
    is not counted), e.g. a 15-day cooling-off period from the day after the contract is signed for."""
    return start + timedelta(days=days)


def premium_for_sum(sum_insured: Decimal, rate: Decimal, per: Decimal) -> Decimal:
    """Annual premium from a rate table quoted per ``per`` of sum insured: sum ÷ per × rate."""
    return to_fen(sum_insured / per * rate)
