"""The Chinese conversation over the service layer, and the WeChat accounts use cases behind it (binding codes,
bindings, subscriptions, change detection), with fake parks on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest

from alliance.errors import Forbidden, LimitExceeded, Unauthenticated
from alliance.services.app import AllianceServices
from alliance.services.auth import ADMIN, ANONYMOUS, ENTERPRISE, PARK_OPERATOR, Principal
from alliance.services.wechat_accounts import BindingCodeRefused, NotBound, WeChatAccounts
from bot import texts
from bot.accounts import accounts
from bot.conversation import ChatUser, Conversation, parse
from tests.bot_fixtures import (
    AVIC,
    BAIDU,
    BYD,
    HUAWEI,
    TENCENT,
    FakePark,
    default_parks,
    make_code,
    running_parks,
    setup_alliance,
    wechat_settings,
)

OPERATOR = Principal("op@whdh", PARK_OPERATOR, park_id="whdh")
ADMIN_USER = Principal("admin@test", ADMIN)


@pytest.fixture(scope="module")
def parks() -> Iterator[list[FakePark]]:
    with running_parks(default_parks()) as running:
        yield running


@pytest.fixture
async def services(tmp_path, parks) -> AsyncIterator[AllianceServices]:
    svc = await AllianceServices.open(wechat_settings(tmp_path / "data", "http://127.0.0.1:9"))
    await setup_alliance(svc, parks)
    try:
        yield svc
    finally:
        await svc.close()


def by_id(parks: list[FakePark], park_id: str) -> FakePark:
    return next(p for p in parks if p.id == park_id)


# Reading the user -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("查询 914403001922038216", ("query", "914403001922038216")),
    ("查询：华为", ("query", "华为")),
    ("评级　华为技术", ("query", "华为技术")),
    ("查询914403001922038216", ("query", "914403001922038216")),
    (" 9144 0300 1922 0382 16 ", ("query", "9144 0300 1922 0382 16")),
    ("互认", ("recognition", "")),
    ("标准", ("standard", "")),
    ("绑定 ABCD-EFGH", ("bind", "ABCD-EFGH")),
    ("解除绑定", ("unbind", "")),
    ("取消订阅", ("unsubscribe", "")),
    ("订阅", ("subscribe", "")),
    ("HELP", ("help", "")),
    ("2", ("choose", "2")),
    ("你好", ("", "你好")),
])
def test_parse(text, expected):
    assert parse(text) == expected


def test_fit_keeps_replies_within_wechat_limit():
    lines = [f"第{i}行：" + "信用" * 30 for i in range(100)]
    cut = texts.fit("\n".join(lines))
    assert len(cut.encode()) <= 2047 and cut.endswith(texts.MORE)
    assert all(line in lines or line == texts.MORE for line in cut.split("\n"))  # cut at line boundaries
    single = texts.fit("信" * 5000)
    assert len(single.encode()) <= 2047
    assert texts.fit("短消息") == "短消息"


@pytest.mark.parametrize("reason,chinese", [
    ("not recognised by 成都高新区: 成都高新区 has not adopted the standard ACS 2025.1", "未采用标准 ACS 2025.1"),
    ("not recognised by 长沙: black-listed by 上海张江高新区 (拒不履行)", "已被上海张江高新区列入黑名单（拒不履行）"),
    ("not recognised by X: grade C by Y under ACS 2025.1; grade C is below A, the minimum for recognition under "
     "ACS 2025.1", "grade C by Y under ACS 2025.1；等级 C 低于互认最低等级 A（ACS 2025.1）"),
    ("recognised by 上海: grade AA by 武汉东湖高新区 under ACS 2025.1", "认可武汉东湖高新区评定的 AA 级（ACS 2025.1）"),
    ("rated by 武汉 itself: grade AA", "本园区评定为 AA 级"),
    ("not recognised by X: 武汉's rating is not valid: revoked by 武汉", "武汉的评级已被撤销"),
    ("something new", "something new"),
])
def test_reasons_in_chinese(reason, chinese):
    assert texts.zh_reason(reason) == chinese


# The conversation -------------------------------------------------------------------------------------------
async def test_query_by_code_name_and_choice(services):
    talk = Conversation(services)
    user = ChatUser("o-1", "mp")
    report = await talk.reply(user, f"查询 {TENCENT}")
    assert report.startswith("【深圳市腾讯计算机系统有限公司】") and "信用等级：AAA（信用优秀）" in report
    assert "评级园区：上海张江高新区" in report and "评分" not in report  # public view

    single = await talk.reply(user, "查询 比亚迪")
    assert single.startswith("【比亚迪股份有限公司】") and "信用等级：A（信用较好）" in single

    listed = await talk.reply(user, "查询 有限公司")
    assert "请回复序号" in listed
    numbered = [line for line in listed.splitlines() if line[:1].isdigit()]
    assert len(numbered) == 5
    pick = next(line.split(".")[0] for line in numbered if "百度" in line)
    chosen = await talk.reply(user, pick)
    assert chosen.startswith("【北京百度网讯科技有限公司】") and "信用等级：B" in chosen
    assert "请回复 1 到 5" in await talk.reply(user, "9")
    # Another user has no list to choose from.
    assert "请先发送" in await talk.reply(ChatUser("o-2", "mp"), "1")


async def test_bad_codes_unknown_names_and_help(services):
    talk = Conversation(services)
    user = ChatUser("o-3", "mp")
    assert "校验位应为 6，实为 7" in await talk.reply(user, "查询 914403001922038217")
    assert "含有不允许的字符" in await talk.reply(user, "查询 9111000060003IOZSV")
    assert "未找到与“不存在的公司”相关的企业" in await talk.reply(user, "查询 不存在的公司")
    assert "暂无该企业的信用评级" in await talk.reply(user, f"查询 {make_code(2001)}")
    assert "至少输入企业名称中的 2 个字" in await talk.reply(user, "查询 华")
    assert "请发送“查询 + 统一社会信用代码或企业名称”" in await talk.reply(ChatUser("o-4", "mp"), "查询")
    assert "使用帮助" in await talk.reply(user, "帮助")
    assert "没有理解" in await talk.reply(user, "今天天气怎么样")
    assert "消息过长" in await talk.reply(user, "查询 " + "华" * 300)
    assert talk.welcome().startswith("欢迎关注园区信用联盟")


async def test_recognition_and_standard(services):
    talk = Conversation(services)
    user = ChatUser("o-5", "web")
    assert "请先查询一家企业" in await talk.reply(user, "互认")
    await talk.reply(user, f"查询 {AVIC}")
    detail = await talk.reply(user, "互认")
    assert "联盟互认详情：1/4 个园区认可" in detail
    assert "✅ 上海张江高新区：本园区评定为 C 级" in detail
    assert "❌ 武汉东湖高新区：等级 C 低于互认最低等级 A（ACS 2025.1）" in detail
    assert "❌ 成都高新区：" in detail
    assert (await talk.reply(user, f"互认 {HUAWEI}")).count("✅") == 3

    standard = await talk.reply(user, "标准")
    assert "国家高新区信用联盟企业信用评价标准" in standard and "ACS 2025.1" in standard
    assert "AAA（信用优秀）≥90 分" in standard and "互认条件：A 级及以上" in standard
    assert "一票否决：失信被执行人" in standard and "评级有效期：365 天" in standard


async def test_listing_and_revocation_are_explained(services, parks):
    talk = Conversation(services)
    user = ChatUser("o-6", "mp")
    zj = by_id(parks, "sh-zj")
    zj.list_enterprise(BAIDU, "black", "拒不履行法院判决")
    try:
        text = await talk.reply(user, f"查询 {BAIDU}")
    finally:
        zj.listings.clear()
    assert "黑名单（上海张江高新区，自 2025-01-01）：拒不履行法院判决" in text
    assert "联盟互认：0/4" in text and "已被上海张江高新区列入黑名单" in text


async def test_a_hanging_park_costs_only_its_part(services, parks):
    talk = Conversation(services)
    cs = by_id(parks, "cs-gx")
    cs.hanging = True
    try:
        text = await talk.reply(ChatUser("o-7", "mp"), f"查询 {BYD}")
    finally:
        cs.hanging = False
    assert text.startswith("【比亚迪股份有限公司】") and "信用等级：A" in text
    assert "长沙高新区（超时未应答）" in text


async def test_binding_gives_the_full_view_and_subscriptions(services):
    talk = Conversation(services)
    staff = ChatUser("o-staff", "mp")
    assert "尚未绑定" in await talk.reply(staff, "订阅")
    issued = await accounts(services).issue_binding_code(OPERATOR, HUAWEI)
    assert len(issued.code) == 9 and issued.code[4] == "-"
    bound = await talk.reply(staff, f"绑定 {issued.code.lower().replace('-', ' ')}")
    assert "绑定成功" in bound and HUAWEI in bound
    assert "评分：85.5" in await talk.reply(staff, "查询")  # the bound enterprise is remembered
    assert "评分" not in await talk.reply(ChatUser("o-other", "mp"), f"查询 {HUAWEI}")
    # A code works once.
    assert "绑定码无效、已使用或已过期" in await talk.reply(ChatUser("o-other", "mp"), f"绑定 {issued.code}")

    assert HUAWEI in await talk.reply(staff, "订阅")
    assert [b.openid for b in await accounts(services).subscribers(HUAWEI)] == ["o-staff"]
    assert "已退订" in await talk.reply(staff, "退订")
    assert await accounts(services).subscribers(HUAWEI) == []
    assert HUAWEI in await talk.reply(staff, "解绑")
    assert await accounts(services).bindings("o-staff") == []

    web = ChatUser("visitor", "web")
    assert "请在微信公众号或小程序中" in await talk.reply(web, f"绑定 {issued.code}")
    assert "通过微信发送" in await talk.reply(web, "订阅")


async def test_replies_always_fit(services):
    talk = Conversation(services)
    user = ChatUser("o-fit", "mp")
    for text in [f"查询 {HUAWEI}", "互认", "标准", "帮助", "查询 有限公司", "1", "x" * 500, f"互认 {AVIC}"]:
        assert len((await talk.reply(user, text)).encode()) <= texts.REPLY_LIMIT


# The WeChat accounts use cases -------------------------------------------------------------------------------
async def test_who_may_issue_binding_codes(services):
    wechat = accounts(services)
    with pytest.raises(Unauthenticated):
        await wechat.issue_binding_code(ANONYMOUS, HUAWEI)
    with pytest.raises(Forbidden):
        await wechat.issue_binding_code(Principal("e", ENTERPRISE, uscc=HUAWEI), HUAWEI)
    with pytest.raises(Forbidden, match="own enterprises"):
        await wechat.issue_binding_code(OPERATOR, TENCENT)  # held by 上海张江, not 武汉东湖
    assert (await wechat.issue_binding_code(ADMIN_USER, TENCENT)).park_id is None
    assert (await wechat.issue_binding_code(OPERATOR, HUAWEI)).park_id == "whdh"
    trail = await services.audit.entries(action="issueBindingCode")
    assert [e.outcome for e in trail][:3] == ["ok", "ok", "refused"]


async def test_codes_are_stored_hashed_expire_and_limit_guessing(services):
    wechat = accounts(services)
    issued = await wechat.issue_binding_code(ADMIN_USER, BYD)
    from sqlalchemy import select

    from alliance.storage.wechat_models import WeChatBindingCodeRow

    async with services.db.session() as s:
        stored = (await s.scalars(select(WeChatBindingCodeRow))).all()
    assert stored and all(issued.code.replace("-", "") not in r.code_hash for r in stored)

    expired = WeChatAccounts(services.db, services.cache, code_lifetime=timedelta(seconds=-1))
    old = await expired.issue_binding_code(ADMIN_USER, BYD)
    with pytest.raises(BindingCodeRefused):
        await wechat.bind("o-late", old.code)

    for _ in range(9):
        with pytest.raises(BindingCodeRefused):
            await wechat.bind("o-guess", "AAAA-AAAA")
    with pytest.raises(BindingCodeRefused):
        await wechat.bind("o-guess", "BBBB-BBBB")
    with pytest.raises(LimitExceeded):  # even the right code, once the limit is reached
        await wechat.bind("o-guess", issued.code)
    assert await wechat.bind("o-honest", issued.code) == BYD


async def test_concurrent_binds_of_one_code_bind_once(services):
    wechat = accounts(services)
    issued = await wechat.issue_binding_code(ADMIN_USER, AVIC)
    results = await asyncio.gather(*(wechat.bind(f"o-race-{i}", issued.code) for i in range(5)),
                                   return_exceptions=True)
    assert sum(1 for r in results if r == AVIC) == 1
    assert all(isinstance(r, BindingCodeRefused) for r in results if r != AVIC)


async def test_changes_are_reported_once_and_only_when_complete(services, parks):
    wechat = accounts(services)
    issued = await wechat.issue_binding_code(ADMIN_USER, BYD)  # an admin's code: no park was asked yet
    await wechat.bind("o-watch", issued.code, channel="wxa")
    with pytest.raises(NotBound):
        await wechat.subscribe("o-watch", HUAWEI)
    assert await wechat.subscribe("o-watch") == [BYD]
    assert await wechat.watched() == [BYD]

    whdh, cs = by_id(parks, "whdh"), by_id(parks, "cs-gx")
    cs.hanging = True  # a partial answer (a park down, nothing cached from it) is never compared
    try:
        assert await wechat.changes() == []
    finally:
        cs.hanging = False
    assert await wechat.last_summary(BYD) is None
    assert await wechat.changes() == []  # the first complete answer sets the baseline
    assert (await wechat.last_summary(BYD))["grades"]["whdh"]["grade"] == "A"
    assert await wechat.changes() == []  # nothing changed
    whdh.set_grade(BYD, "B", 64.0)
    try:
        first, second = await asyncio.gather(wechat.changes(), wechat.changes())
        found = first + second
        assert len(found) == 1  # two replicas looking at once: one of them reports it
        change = found[0]
        assert change.uscc == BYD and change.what == ("grade", "recognition")
        assert change.before["grades"]["whdh"]["grade"] == "A" and change.after["grades"]["whdh"]["grade"] == "B"
        assert [b.openid for b in change.subscribers] == ["o-watch"]
        assert change.subscribers[0].channel == "wxa"
        assert await wechat.changes() == []
    finally:
        whdh.set_grade(BYD, "A", 74.0)


async def test_accounts_on_postgresql(tmp_path, parks, postgres_url):
    from tests.storage_fixtures import postgres_schema

    async with postgres_schema(postgres_url) as schema:
        settings = wechat_settings(tmp_path / "pg", "http://127.0.0.1:9", database_url=postgres_url)
        svc = await AllianceServices.open(settings, schema=schema)
        try:
            await setup_alliance(svc, parks)
            wechat = accounts(svc)
            issued = await wechat.issue_binding_code(OPERATOR, HUAWEI)
            results = await asyncio.gather(*(wechat.bind(f"o-pg-{i}", issued.code) for i in range(3)),
                                           return_exceptions=True)
            assert sum(1 for r in results if r == HUAWEI) == 1
            winner = next(f"o-pg-{i}" for i, r in enumerate(results) if r == HUAWEI)
            assert await wechat.subscribe(winner) == [HUAWEI]
            assert await wechat.changes() == []  # baseline
            assert (await wechat.last_summary(HUAWEI))["grades"]["whdh"]["grade"] == "AA"
            assert "评分：85.5" in await Conversation(svc).reply(ChatUser(winner, "mp"), f"查询 {HUAWEI}")
        finally:
            await svc.close()
