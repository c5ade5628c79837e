"""Personal data is found and masked before text is logged; numbers that only look like it are left."""

from __future__ import annotations

import logging

import pytest

from agent.policy.personal_data import (
    PersonalDataKind,
    find_personal_data,
    luhn_valid,
    mask_for_staff,
    mask_logs,
    mask_personal_data,
    valid_id_number,
)

ID_NUMBER = "11010519491231002X"  # the GB 11643 specimen number, check digit X
CARD = "6222600260001072444"  # 19 digits, Luhn-valid


def test_a_resident_id_number_with_a_valid_check_digit_is_masked():
    assert mask_personal_data(f"我的身份证号是{ID_NUMBER}，请帮我查询。") == "我的身份证号是[身份证号]，请帮我查询。"


def test_an_18_digit_number_with_a_wrong_check_digit_is_not_an_id_number():
    assert not valid_id_number("110105194912310021")
    assert PersonalDataKind.ID_NUMBER not in {m.kind for m in find_personal_data("保单号110105194912310021")}


@pytest.mark.parametrize("phone", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "010-62345678"])
def test_mobile_and_landline_numbers_are_masked(phone):
    assert mask_personal_data(f"请回电{phone}谢谢") == "请回电[电话]谢谢"


@pytest.mark.parametrize("card", [CARD, "6222 6002 6000 1072 444", "4111-1111-1111-1111"])
def test_bank_card_numbers_that_pass_the_luhn_check_are_masked(card):
    assert mask_personal_data(f"卡号 {card} 被扣了年费") == "卡号 [银行卡号] 被扣了年费"


def test_a_long_number_failing_the_luhn_check_is_left_alone():
    assert not luhn_valid("6222600260001072445")
    assert mask_personal_data("合同编号6222600260001072445") == "合同编号6222600260001072445"


def test_email_addresses_are_masked():
    assert mask_personal_data("Write to li.wei+bank@example.com.cn today") == "Write to [邮箱] today"


def test_amounts_dates_and_rates_are_not_personal_data():
    text = "2026年1月1日存入10,000元，年利率2.35%，到期利息705.00元，客服电话95000。"
    assert find_personal_data(text) == []
    assert mask_personal_data(text) == text


def test_several_kinds_in_one_message_are_all_masked_in_order():
    text = f"身份证{ID_NUMBER}，手机13812345678，邮箱a@b.cn"
    assert [m.kind for m in find_personal_data(text)] == [
        PersonalDataKind.ID_NUMBER, PersonalDataKind.PHONE, PersonalDataKind.EMAIL]
    assert mask_personal_data(text) == "身份证[身份证号]，手机[电话]，邮箱[邮箱]"


# ---- card and phone numbers as customers really type them (the pilot's complaint) ----------------


@pytest.mark.parametrize("card", ["6222 0212 3456 7890", "6222-0212-3456-7890", "6222 0212 3456 7890 123"])
def test_a_card_number_written_in_groups_of_four_is_masked_even_when_it_fails_the_luhn_check(card):
    assert not luhn_valid(card.replace(" ", "").replace("-", ""))
    assert mask_personal_data(f"我的{card}被盗刷了") == "我的[银行卡号]被盗刷了"


@pytest.mark.parametrize("text", ["卡号是6222021234567890", "银行卡：6222021234567890", "card number 6222021234567890"])
def test_a_number_right_after_a_card_word_is_a_card_number_whatever_its_check_digit(text):
    assert "[银行卡号]" in mask_personal_data(text) and "6222021234567890" not in mask_personal_data(text)


def test_full_width_digits_and_separators_are_read_as_ascii():
    text = "卡号是６２２２　０２１２　３４５６　７８９０，手机１３８－１２３４－５６７８"
    assert mask_personal_data(text) == "卡号是[银行卡号]，手机[电话]"
    (card, phone) = find_personal_data(text)
    assert card.text == "６２２２　０２１２　３４５６　７８９０"  # the customer's own characters, for sealing


def test_staff_see_the_last_four_digits_and_the_mail_domain_only():
    text = "卡号6222 0212 3456 7890，电话１３８１２３４５６７８，邮箱li.wei@example.com"
    assert mask_for_staff(text) == "卡号[银行卡号 尾号7890]，电话[电话 尾号5678]，邮箱[邮箱 ***@example.com]"


def test_log_records_are_masked_before_any_handler_writes_them(caplog):
    logger = logging.getLogger("tests.personal_data")
    mask_logs(logger)
    with caplog.at_level(logging.INFO, logger="tests.personal_data"):
        logger.info("callback requested on %s for card %s", "13812345678", "6222 0212 3456 7890")
        try:
            raise ValueError("bad card 6222 0212 3456 7890")
        except ValueError:
            logger.exception("while handling %s", "li.wei@example.com")
    written = "\n".join(caplog.messages) + "\n".join(r.exc_text or "" for r in caplog.records)
    assert "13812345678" not in written and "3456 7890" not in written and "li.wei@" not in written
    assert "callback requested on [电话] for card [银行卡号]" in caplog.messages
