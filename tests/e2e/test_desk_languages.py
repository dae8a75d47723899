"""The desk in Russian and the console in Turkish, in a real browser: the person's locale
from the config (else the browser's language), times in their time zone, and no message
key or missing-message mark anywhere on the rendered pages. Screenshots: docs/screenshots/."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from switchboard.nats_server import NatsServerProcess
from tests.e2e.browser import SCREENSHOTS, chromium
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually

LIVE = 15_000
WEB = Path(__file__).resolve().parents[2] / "services" / "notifier" / "web"
KEYS = set(json.loads((WEB / "i18n-en.json").read_text()))


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    base = stack_config(offer_timeout=30, escalation_timeout=600)
    where = {"alice": ("ru", "Europe/Moscow"), "sam": ("tr", "Europe/Istanbul")}
    people = [
        p.model_copy(update=dict(zip(("locale", "time_zone"), where[p.id], strict=True)))
        if p.id in where
        else p
        for p in base.people
    ]
    async with running_stack(
        request, tmp_path, nats_server, base.model_copy(update={"people": people})
    ) as running:
        yield running


async def detection_ready(stack: Stack) -> bool:
    r = await stack.http.get("/healthz")
    return "language detection ready" in r.json()["checks"].get("ingest", "")


async def no_raw_keys(page: Page) -> None:
    """Nothing on the page reads as a message key or as the missing-message mark."""
    text = await page.locator("body").inner_text()
    words = set(re.findall(r"[a-z_]+(?:\.[a-z_]+)+", text))
    assert words & KEYS == set()
    assert "…" not in text.replace("переподключение…", "")
    titles = await page.evaluate(
        "[...document.querySelectorAll('[aria-label],[title],[data-label]')]"
        ".map(n => n.getAttribute('aria-label') || n.getAttribute('title') || '')"
    )
    assert set(titles) & KEYS == set()


async def sign_in_as(page: Page, user: str, user_label: str, password_label: str) -> None:
    await page.get_by_label(user_label).fill(user)
    await page.get_by_label(password_label).fill(user)
    await page.get_by_label(password_label).press("Enter")


async def test_the_desk_in_russian_and_the_console_in_turkish(stack: Stack) -> None:
    async with chromium(stack.base_url) as pages:
        # Before anyone signs in, the page follows the browser's language.
        alice = await pages.open("/desk", locale="ru-RU")
        await expect(alice.get_by_role("heading", name="Войти")).to_be_visible()
        assert await alice.evaluate("document.documentElement.lang") == "ru"
        await sign_in_as(alice, "alice", "Пользователь", "Пароль")
        await expect(alice.get_by_role("heading", name="Входящие предложения")).to_be_visible()
        await expect(alice.get_by_text("alice (оператор)")).to_be_visible()
        await alice.get_by_label("Статус").select_option("available")
        await expect(alice.get_by_role("status")).to_have_text("Ваш статус: доступен")

        await eventually(lambda: detection_ready(stack))
        r = await stack.post_form(
            name="Олег Смирнов",
            email="oleg@example.com",
            message="Здравствуйте! Заказ 4521 до сих пор не отправлен.",
        )
        assert r.status_code == 202, r.text
        offer = alice.locator("li.offer")
        await expect(offer).to_have_count(1, timeout=LIVE)
        await expect(offer.locator(".countdown")).to_have_text(re.compile(r"Истекает через \d+ с"))
        await expect(offer.locator(".customer-name")).to_have_text("Олег Смирнов", timeout=LIVE)
        await offer.get_by_role("button", name="Принять").click()
        await expect(alice.get_by_role("heading", name="Обращение: webform")).to_be_visible()
        await expect(alice.locator("#conversation-state")).to_contain_text("1 сообщение")
        # The language routing matched on, named in the agent's language, and that it was
        # detected (the form did not say).
        await expect(alice.locator("#work .language")).to_contain_text("Язык: русский")
        await expect(alice.locator("#work .language")).to_contain_text("определён")
        await expect(alice.get_by_role("button", name="Отправить ответ")).to_be_visible()
        await no_raw_keys(alice)
        await alice.screenshot(path=SCREENSHOTS / "desk-ru.png")
        # A time alice types (snooze until) is Moscow wall time, as the times she reads are.
        instant = await alice.evaluate(
            "import('/ui/i18n.js').then(m => m.instantOf('2026-07-01T12:00').toISOString())"
        )
        assert instant == "2026-07-01T09:00:00.000Z"

        # The supervisor's console in Turkish, whatever the browser says; the search finds
        # the Russian customer in another case.
        sam = await pages.open("/console", locale="en-US")
        await sign_in_as(sam, "sam", "User", "Password")
        await expect(sam.get_by_role("heading", name="Kuyruklar")).to_be_visible()
        await sam.get_by_label("Göre").select_option("q")
        await sam.get_by_label("Değer").fill("ОЛЕГ")
        await sam.get_by_label("Değer").press("Enter")
        await expect(sam.locator("article.found .customer-name")).to_have_text(
            "Олег Смирнов", timeout=LIVE
        )
        await expect(sam.locator('tr[data-agent="alice"] td.status')).to_have_text(
            "müsait", timeout=LIVE
        )
        await no_raw_keys(sam)
        await sam.screenshot(path=SCREENSHOTS / "console-tr.png", full_page=True)

        for page in (alice, sam):
            await page.close()
        assert pages.errors == []
